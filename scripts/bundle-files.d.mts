/** One file's size: minified bytes and gzip -9 bytes. */
export interface FileSize {
  minified: number;
  gzip: number;
}
export interface FilesSize extends FileSize {
  files: string[];
}
export declare function fileSize(file: string): FileSize;
/** The entry and its chunks: what the first render loads, everything, and each file. */
export declare function bundleSizes(entry: string): {
  firstRender: FilesSize;
  total: FilesSize;
  files: (FileSize & { file: string; firstRender: boolean })[];
};
