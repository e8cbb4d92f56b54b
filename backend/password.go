package backend

import (
	"sync"

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
