/**
 * The element's language: its own `lang`, else the document's (followed as it changes), else
 * English; and the lookup it renders with.
 */
import { DocumentLanguage } from '../i18n/document-language.js';
import { translator, type Translate } from '../i18n/index.js';

export class LocalizeController extends DocumentLanguage {
  get t(): Translate {
    return translator(this.language);
  }
}
