import { expect } from '@esm-bundle/chai';
import { logger, redact } from '../../src/logger.js';

describe('logger', () => {
  it('prefixes lines and removes every registered secret, also inside errors and objects', () => {
    const lines: string[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => lines.push(args.join(' '));
    try {
      logger.addSecret('pa55-one');
      logger.addSecret('pa55-one-longer');
      logger.warn('auth with', new Error('bad pa55-one-longer'), { password: 'pa55-one' });
    } finally {
      console.warn = original;
    }
    expect(lines).to.have.length(1);
    expect(lines[0]!.startsWith('[soft-phone] auth with')).to.equal(true);
    expect(lines[0]).to.not.contain('pa55');
    expect(redact('x pa55-one y')).to.equal('x ******** y');
  });

  it('drops lines below the level', () => {
    const lines: string[] = [];
    const original = console.debug;
    console.debug = (...args: unknown[]) => lines.push(args.join(' '));
    try {
      logger.debug('hidden');
      logger.setLevel('debug');
      logger.debug('shown');
    } finally {
      logger.setLevel('warn');
      console.debug = original;
    }
    expect(lines).to.deep.equal(['[soft-phone] shown']);
  });
});
