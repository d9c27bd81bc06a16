// Moddable's `securesocket` (TLS over `socket`): the fake is the plain fake socket, which
// records the `secure` options the adapter passes.
import { FakeSocket } from './socket.js';
export default FakeSocket;
