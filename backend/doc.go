// Package backend is the domain core of fieldcheck: the types of the
// "双随机、一公开" supervision regime (target and inspector directories, the
// item list, users, the audit log), the rules that govern them, and the
// services that enforce those rules and check authorization for every object.
//
// It imports no web framework and no database driver. HTTP adapters call the
// services; the services talk to storage only through the store interfaces
// declared here, which backend/mongo implements.
package backend
