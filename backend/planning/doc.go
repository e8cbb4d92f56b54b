// Package planning is the service behind "双随机": annual plans and their
// public versions, the verifiable random draw of targets and inspectors
// (fc-draw-1, in backend/draw), the inspection tasks a draw creates, and
// ad-hoc tasks, which wait for the acceptance of any other department
// whose officers or items they use (adhoc.go), and coordination rounds
// (rounds.go, fc-draw-2): several departments' plans drawn with one seed
// so that an enterprise they select gets one joint visit. It
// checks who may do what, enforces the rules of the item list (ratio caps,
// departments of a joint plan, the annual cap), and writes every change to
// the audit log.
package planning
