// Moddable's "text/encoder" module under Node: the platform's TextEncoder class.
export default TextEncoder;
