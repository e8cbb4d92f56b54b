package backend

import (
	"runtime"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// PasswordCost is the bcrypt cost for new hashes: about 200 ms a hash on
// one core of the reference machine (cost 10 measured ~100 ms), slow enough
// to make offline guessing expensive and fast enough for logins.
var PasswordCost = 11

// HashPassword checks p against the password policy and returns its bcrypt hash.
func HashPassword(p string) (string, error) {
	if err := ValidatePassword(p); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(p), PasswordCost)
	if err != nil {
		return "", &Error{Code: EINTERNAL, Op: "HashPassword", Err: err}
	}
	return string(h), nil
}

// CheckPassword reports whether p matches hash. It takes the same time for
// a wrong password as for a right one.
func CheckPassword(hash, p string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(p)) == nil
}

// dummyHash is compared against when a login names an unknown user, so that
// the response time does not tell which usernames exist. It is made at the
// same cost as real hashes, on first use.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("fieldcheck-no-such-user"), PasswordCost)
	return h
})

// CheckPasswordUnknownUser spends about the time of a password check and
// returns false.
func CheckPasswordUnknownUser(p string) bool {
	_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(p))
	return false
}

// Admission of password work (NewPasswordGate). A hash at PasswordCost
// takes about 200 ms of one core: 100 phones logging in at once used to run
// 100 hashes on two cores, and every login, pull and push waited ten
// seconds and more.
const (
	// PasswordQueuePerSlot bounds the password checks waiting, per slot:
	// about 0.8 s of work queued.
	PasswordQueuePerSlot = 4
	// PasswordMaxWait bounds the wait of each: a login is answered (or
	// refused with a time to come back) within about a second and a hash.
	PasswordMaxWait = time.Second
	// passwordTypical is a hash's duration before any was measured.
	passwordTypical = 200 * time.Millisecond
)

// PasswordSlots is how many password hashes a process runs at once: half
// the cores it may use (GOMAXPROCS), at least one, so that the rest serve
// everything else.
func PasswordSlots() int { return max(1, runtime.GOMAXPROCS(0)/2) }

// NewPasswordGate returns the gate every password hash and check of a
// process goes through: PasswordSlots at once, PasswordQueuePerSlot
// waiting per slot, each at most PasswordMaxWait (see Gate).
func NewPasswordGate() *Gate {
	n := PasswordSlots()
	return NewGate(GateConfig{Name: "password checks", Slots: n, Queue: n * PasswordQueuePerSlot, MaxWait: PasswordMaxWait, Typical: passwordTypical})
}
