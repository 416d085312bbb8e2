// Storage and connector URLs may carry a password (`postgres://user:secret@host/db` or
// `?password=secret`); anything printed or logged shows them with the password replaced.

export function redactUrl(url: string): string {
  return url
    .replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@')
    .replace(/([?&](?:password|sslpassword)=)[^&#]*/gi, '$1***');
}
