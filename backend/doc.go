// Package backend is the domain core of fieldcheck: the types of the
// "双随机、一公开" supervision regime (target and inspector directories, the
// item list, users, the audit log), the rules that govern them, and the
// services that enforce those rules and check authorization for every object.
//
// It imports no web framework and no database driver. HTTP adapters call the
// services; the services talk to storage only through the store interfaces
// declared here, which backend/mongo implements.
//
// Every change is recorded in the hash-chained audit log (audit.go), and a
// record survives a crash between the change and its entry: the record
// travels in the change's own write and is appended once by its key
// (outbox.go), and an operation of several writes stores an intent first
// and is completed from it (intent.go). docs/audit.md tells the whole.
package backend
