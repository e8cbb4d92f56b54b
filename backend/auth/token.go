package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/fieldcheck/fieldcheck/backend"
)

// accessClaims is the payload of an access token.
type accessClaims struct {
	Role        backend.Role `json:"role"`
	Departments []string     `json:"departments,omitempty"`
	SessionID   string       `json:"sid"`           // the refresh-token family
	DeviceID    string       `json:"did,omitempty"` // the device the session was opened from
	jwt.RegisteredClaims
}

// Validate is called by the jwt validator after the registered claims.
func (c *accessClaims) Validate() error {
	switch {
	case c.Subject == "":
		return errors.New("sub is missing")
	case c.SessionID == "":
		return errors.New("sid is missing")
	case c.ID == "":
		return errors.New("jti is missing")
	case c.IssuedAt == nil:
		return errors.New("iat is missing")
	case !c.Role.Valid():
		return errors.New("role is unknown")
	}
	return nil
}

// maxTokenLength bounds what is parsed at all; real tokens are about 500 bytes.
const maxTokenLength = 4096

// mintAccessToken signs an access token for u in session fam.
func (s *Service) mintAccessToken(ctx context.Context, u *backend.User, fam *backend.TokenFamily, now time.Time) (string, error) {
	key, err := s.Keys.Signer(ctx)
	if err != nil {
		return "", err
	}
	jti, err := s.random(16)
	if err != nil {
		return "", err
	}
	iat := jwt.NewNumericDate(now)
	claims := &accessClaims{
		Role:        u.Role,
		Departments: u.Departments,
		SessionID:   fam.ID,
		DeviceID:    fam.DeviceID,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    s.cfg.Issuer,
			Subject:   u.ID,
			Audience:  jwt.ClaimStrings{s.cfg.Audience},
			ExpiresAt: jwt.NewNumericDate(now.Add(s.cfg.AccessTTL)),
			NotBefore: iat,
			IssuedAt:  iat,
			ID:        hex.EncodeToString(jti),
		},
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	t.Header["kid"] = key.ID
	signed, err := t.SignedString(key.Private)
	if err != nil {
		return "", &backend.Error{Code: backend.EINTERNAL, Op: "mintAccessToken", Err: err}
	}
	return signed, nil
}

// parseAccessToken verifies the signature and the claims of an access token.
// Every failure is EUNAUTHENTICATED except a store that cannot be read while
// loading the key ring.
func (s *Service) parseAccessToken(ctx context.Context, token string) (*accessClaims, error) {
	const op = "Authenticate"
	if token == "" {
		return nil, &backend.Error{Code: backend.EUNAUTHENTICATED, Op: op, Message: "access token required"}
	}
	if len(token) > maxTokenLength {
		return nil, &backend.Error{Code: backend.EUNAUTHENTICATED, Op: op, Message: "invalid access token"}
	}
	claims := &accessClaims{}
	_, err := s.parser.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		// WithValidMethods has already refused every other algorithm; this
		// is the second lock on the same door.
		if t.Method != jwt.SigningMethodEdDSA {
			return nil, errors.New("algorithm is not EdDSA")
		}
		kid, ok := t.Header["kid"].(string)
		if !ok || kid == "" || len(kid) > 64 {
			return nil, errors.New("kid is missing")
		}
		return s.verificationKey(ctx, kid)
	})
	if err == nil {
		return claims, nil
	}
	// The key func returns a *backend.Error only when the key ring could
	// not be read: that is the store's failure, not the caller's.
	var storeErr *backend.Error
	if errors.As(err, &storeErr) {
		return nil, &backend.Error{Op: op, Err: storeErr}
	}
	msg := "invalid access token"
	if errors.Is(err, jwt.ErrTokenExpired) {
		msg = "access token expired"
	}
	return nil, &backend.Error{Code: backend.EUNAUTHENTICATED, Op: op, Message: msg, Err: err}
}

// newParser builds the one parser of a service. Every option is a
// requirement: pinned algorithm, exp/iat/nbf checked against the service
// clock with a little leeway, issuer and one of the accepted audiences.
func (s *Service) newParser() *jwt.Parser {
	return jwt.NewParser(
		jwt.WithValidMethods([]string{AlgEdDSA}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(s.cfg.Leeway),
		jwt.WithIssuer(s.cfg.Issuer),
		jwt.WithAudience(s.cfg.AcceptedAudiences...),
		jwt.WithTimeFunc(func() time.Time { return s.Now() }),
		jwt.WithStrictDecoding(),
	)
}

// Refresh tokens are refreshTokenBytes random bytes, base64url without
// padding; the store keeps the hex SHA-256 of that text.
const refreshTokenBytes = 32

var refreshTokenLength = base64.RawURLEncoding.EncodedLen(refreshTokenBytes)

// newRefreshToken returns a new secret and its hash.
func (s *Service) newRefreshToken() (secret, hash string, err error) {
	b, err := s.random(refreshTokenBytes)
	if err != nil {
		return "", "", err
	}
	secret = base64.RawURLEncoding.EncodeToString(b)
	return secret, hashRefreshToken(secret), nil
}

// hashRefreshToken returns the store id of a refresh token, or "" when the
// text cannot be one of ours (so the store is not even asked).
func hashRefreshToken(secret string) string {
	if len(secret) != refreshTokenLength {
		return ""
	}
	if _, err := base64.RawURLEncoding.Strict().DecodeString(secret); err != nil {
		return ""
	}
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
