package backend

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Users is the service that administers login accounts.
type Users struct {
	Store       UserStore
	Departments DepartmentStore
	Audit       *AuditLog
	// Intents carry the follow-ups of ending a user's sessions (the
	// codes withdrawn) across a crash; nil runs them without one.
	Intents *Intents
	// Codes are the inspection codes issued to phones, withdrawn when a
	// user's sessions are ended; nil when codes are not tracked.
	Codes CodeIssueStore
	// Rand is the source of generated passwords; crypto/rand when nil.
	Rand io.Reader
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Hashes admits the password hashes (NewPasswordGate, shared with the
	// logins); nil admits every one.
	Hashes *Gate
}

// hashPassword hashes through the password gate.
func (s *Users) hashPassword(ctx context.Context, password string) (string, error) {
	release, err := s.Hashes.Enter(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return HashPassword(password)
}

func (s *Users) deny(ctx context.Context, action, id string, err error) error {
	_, _ = s.Audit.Append(ctx, AuditRecord{Action: action, ObjectType: "user", ObjectID: id, Outcome: OutcomeDenied, Detail: ErrorMessage(err)})
	return err
}

// userChange is what the audit log digests of a user change: never the
// hash. It reads u when the record is prepared, with the write (the
// version the store gives it).
func userChange(u *User) any { return userView{u} }

type userView struct{ u *User }

func (v userView) MarshalJSON() ([]byte, error) {
	u := v.u
	return json.Marshal(struct {
		ID, DisplayName string
		Role            Role
		Departments     []string
		Disabled        bool
		SessionEpoch    int64
		Version         int64
	}{u.ID, u.DisplayName, u.Role, u.Departments, u.Disabled, u.SessionEpoch, u.Version})
}

// Me returns the caller's own account.
func (s *Users) Me(ctx context.Context) (*User, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nil, err
	}
	return s.Store.FindUserByID(ctx, a.UserID)
}

// GetUser returns one account (administrators only).
func (s *Users) GetUser(ctx context.Context, id string) (*User, error) {
	if _, err := requireReader(ctx, RoleAdmin); err != nil {
		return nil, err
	}
	return s.Store.FindUserByID(ctx, id)
}

// ListUsers returns one page of accounts (administrators only).
func (s *Users) ListUsers(ctx context.Context, p PageRequest) (*Page[*User], error) {
	if _, err := requireReader(ctx, RoleAdmin); err != nil {
		return nil, err
	}
	if err := p.Normalize(); err != nil {
		return nil, err
	}
	return s.Store.FindUsers(ctx, p)
}

// CreateUser adds an account with the given password.
func (s *Users) CreateUser(ctx context.Context, u *User, password string) error {
	if _, err := requireWriter(ctx, RoleAdmin); err != nil {
		return s.deny(ctx, "user.create", u.ID, err)
	}
	if u.Departments == nil {
		u.Departments = []string{}
	}
	u.Disabled = false
	if err := u.Validate(); err != nil {
		return err
	}
	for _, d := range u.Departments {
		if _, err := s.Departments.FindDepartmentByID(ctx, d); err != nil {
			if IsCode(err, ENOTFOUND) {
				return Errorf(EINVALID, "unknown department %q", d)
			}
			return err
		}
	}
	h, err := s.hashPassword(ctx, password)
	if err != nil {
		return err
	}
	u.PasswordHash = h
	u.Record(AuditRecord{Action: "user.create", ObjectType: "user", ObjectID: u.ID, Change: userChange(u)})
	if err := s.Store.CreateUser(ctx, u); err != nil {
		if IsCode(err, ECONFLICT) {
			return Errorf(ECONFLICT, "user %s already exists", u.ID)
		}
		return err
	}
	return nil
}

// endSessions, applied to a user in an update, ends every session the user
// has: each is refused at its next request, refresh included, on every API
// and device (User.SessionEpoch). update then withdraws the user's
// inspection codes.
func endSessions(u *User) { u.SessionEpoch++ }

// update reads a user, applies fn and stores the result with its record
// (the outbox), retrying once when another change came in between. When fn
// ended the user's sessions, the user's inspection codes are withdrawn
// after the store (so that a code issued meanwhile is either seen here or
// refused by its own session check), under an intent begun before it
// (intentEndSessions): the withdrawal's record follows, and a crash in
// between is completed by the roll-forward.
func (s *Users) update(ctx context.Context, action, id string, fn func(*User) error) (*User, error) {
	a, err := requireWriter(ctx, RoleAdmin)
	if err != nil {
		return nil, s.deny(ctx, action, id, err)
	}
	for attempt := 0; ; attempt++ {
		u, err := s.Store.FindUserByID(ctx, id)
		if err != nil {
			return nil, err
		}
		epoch := u.SessionEpoch
		if err := fn(u); err != nil {
			return nil, err
		}
		ended := u.SessionEpoch != epoch
		detail := "by " + a.UserID
		var in *Intent
		if ended {
			detail += "; every session ended; the inspection codes are withdrawn next"
			if in, err = s.Intents.Begin(ctx, intentEndSessions, u.ID+"/"+strconv.FormatInt(u.SessionEpoch, 10), "user", u.ID, action); err != nil {
				return nil, err
			}
		}
		u.Record(AuditRecord{Action: action, ObjectType: "user", ObjectID: id, Change: userChange(u), Detail: detail})
		err = s.Store.UpdateUser(ctx, u)
		if err != nil {
			s.Intents.Done(ctx, in) // nothing was stored
		}
		if IsCode(err, ECONFLICT) && attempt < 3 {
			continue
		}
		if err != nil {
			return nil, err
		}
		if ended {
			if err := s.withdrawUserCodes(ctx, in, u.ID, action); err != nil {
				return u, err
			}
		}
		return u, nil
	}
}

// intentEndSessions is the intent of the follow-ups of ending a user's
// sessions: its id is the user and the epoch the change stores.
const intentEndSessions = "user.end_sessions"

// withdrawUserCodes withdraws the valid inspection codes of a user whose
// sessions were ended by action, and records it (followUpsDone).
func (s *Users) withdrawUserCodes(ctx context.Context, in *Intent, userID, action string) error {
	n, err := withdrawCodes(ctx, s.Codes, userID, "", s.now(), "sessions ended ("+action+")")
	if err != nil {
		return err // the intent stays: the roll-forward withdraws them
	}
	return followUpsDone(ctx, s.Intents, s.Audit, in, AuditRecord{Action: "code.withdraw", ObjectType: "user", ObjectID: userID,
		Detail: "sessions ended (" + action + "); inspection codes withdrawn: " + strconv.Itoa(n)})
}

// RegisterIntents registers the roll-forward of ending sessions: when the
// user's stored epoch reached the intent's, the change was stored and the
// codes are withdrawn; otherwise nothing was, and the intent is dropped.
func (s *Users) RegisterIntents() {
	s.Intents.Handle(intentEndSessions, func(ctx context.Context, in *Intent) error {
		_, e, _ := strings.Cut(strings.TrimPrefix(in.ID, intentEndSessions+"/"), "/")
		epoch, err := strconv.ParseInt(e, 10, 64)
		if err != nil {
			return nil // not one of ours: drop it
		}
		u, err := s.Store.FindUserByID(ctx, in.ObjectID)
		switch {
		case IsCode(err, ENOTFOUND):
			return nil
		case err != nil:
			return err
		case u.SessionEpoch < epoch:
			return nil // the change was never stored
		}
		return s.withdrawUserCodes(ctx, in, u.ID, in.Detail)
	})
}

func (s *Users) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC().Truncate(time.Millisecond)
	}
	return s.Now().UTC().Truncate(time.Millisecond)
}

// EndSessions ends every session of a user at once (administrators only):
// back office and phones, every device; each is refused at its next
// request, reads and refreshes included, and the user's valid inspection
// codes are withdrawn. The user can log in again; to keep someone out,
// disable the account or reset its password (both end the sessions too).
func (s *Users) EndSessions(ctx context.Context, id string) (*User, error) {
	return s.update(ctx, "user.end_sessions", id, func(u *User) error {
		endSessions(u)
		return nil
	})
}

// SetDisabled disables or re-enables an account. Both end every session of
// the user (EndSessions): a disabled user is refused at once on every
// request and cannot log in, and re-enabling does not bring an old session
// back. Administrators cannot disable themselves, so that one always
// remains.
func (s *Users) SetDisabled(ctx context.Context, id string, disabled bool) (*User, error) {
	action := "user.enable"
	if disabled {
		action = "user.disable"
	}
	if a := ActorFrom(ctx); a != nil && a.UserID == id && disabled {
		return nil, Errorf(EINVALID, "you cannot disable your own account")
	}
	return s.update(ctx, action, id, func(u *User) error {
		u.Disabled = disabled
		endSessions(u)
		return nil
	})
}

// SetRole changes a user's role and departments (administrators only;
// audited). Every session of the user ends (EndSessions: the role a
// session was opened with never outlives the change, on the console nor
// on a phone) and the user's inspection codes are withdrawn. An
// administrator cannot change their own role, so that the one making the
// change always remains an administrator; departments must exist and, but
// for administrators and the oversight office, be at least one. A change
// to what is stored already writes nothing.
func (s *Users) SetRole(ctx context.Context, id string, role Role, departments []string) (*User, error) {
	const action = "user.set_role"
	if departments == nil {
		departments = []string{}
	}
	a, err := requireWriter(ctx, RoleAdmin)
	if err != nil {
		return nil, s.deny(ctx, action, id, err)
	}
	if a.UserID == id {
		return nil, s.deny(ctx, action, id, Errorf(EINVALID, "you cannot change your own role: another administrator must"))
	}
	if !role.Valid() {
		return nil, Errorf(EINVALID, "role %q must be admin, manager, reviewer, inspector or oversight", role)
	}
	if err := checkList("departments", departments, 16, 64); err != nil {
		return nil, err
	}
	for _, d := range departments {
		if !ValidID(d) {
			return nil, Errorf(EINVALID, "department %q is malformed", d)
		}
		if _, err := s.Departments.FindDepartmentByID(ctx, d); err != nil {
			if IsCode(err, ENOTFOUND) {
				return nil, Errorf(EINVALID, "unknown department %q", d)
			}
			return nil, err
		}
	}
	u, err := s.Store.FindUserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if u.Role == role && slices.Equal(u.Departments, departments) {
		return u, nil
	}
	return s.update(ctx, action, id, func(u *User) error {
		u.Role, u.Departments = role, departments
		if err := u.Validate(); err != nil {
			return err
		}
		endSessions(u)
		return nil
	})
}

// ResetPassword sets a new password and ends every session of the user
// (EndSessions), the administrator's own included when it is theirs. With
// password empty a random one is generated and returned, to be handed to
// the user once.
func (s *Users) ResetPassword(ctx context.Context, id, password string) (string, error) {
	if password == "" {
		var err error
		if password, err = s.generatePassword(); err != nil {
			return "", err
		}
	}
	h, err := s.hashPassword(ctx, password)
	if err != nil {
		return "", err
	}
	_, err = s.update(ctx, "user.reset_password", id, func(u *User) error {
		u.PasswordHash = h
		endSessions(u)
		return nil
	})
	if err != nil {
		return "", err
	}
	return password, nil
}

// Bootstrap creates the first administrator when the store has no user at
// all. The password is the given one, or generated when empty; it is
// returned so that the caller can print it once. created is false when
// users exist already.
func (s *Users) Bootstrap(ctx context.Context, password string) (created bool, pw string, err error) {
	n, err := s.Store.CountUsers(ctx)
	if err != nil || n > 0 {
		return false, "", err
	}
	if password == "" {
		if password, err = s.generatePassword(); err != nil {
			return false, "", err
		}
	}
	ctx = WithActor(ctx, SystemActor("bootstrap"))
	u := &User{ID: "admin", DisplayName: "系统管理员", Role: RoleAdmin, Departments: []string{}}
	if err := s.CreateUser(ctx, u, password); err != nil {
		if IsCode(err, ECONFLICT) {
			return false, "", nil // another instance bootstrapped first
		}
		return false, "", err
	}
	return true, password, nil
}

func (s *Users) generatePassword() (string, error) { return GeneratePassword(s.Rand) }

// GeneratePassword returns a random 20-character password read from r
// (crypto/rand when nil).
func GeneratePassword(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, 15)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", &Error{Code: EINTERNAL, Op: "generatePassword", Err: err}
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
