// The one LocalStore of the app (IndexedDB through Dexie, src/sync/).
import { LocalStore } from '../sync/store.js';

export const store = new LocalStore();
