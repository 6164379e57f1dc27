// Vite's ?raw imports: a file's text as a string (the Python sources the export ships).
declare module '*?raw' {
  const text: string;
  export default text;
}
