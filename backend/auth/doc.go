// Package auth logs users in, issues and rotates their tokens, throttles
// password guessing and authenticates requests. It is a backend service: the
// HTTP adapters call it and turn its errors into responses; it imports no
// web framework and no database driver.
//
// # Access tokens
//
// A JWS compact token signed with Ed25519 ("alg":"EdDSA") and a "kid" header
// naming the key. Claims:
//
//	iss          Config.Issuer ("fieldcheck")
//	aud          Config.Audience ("fieldcheck-api"; the mobile API: "fieldcheck-mobile")
//	sub          user id
//	iat, nbf     time of issue
//	exp          iat + Config.AccessTTL (15 minutes)
//	jti          random, 128 bits, hex
//	sid          session (refresh-token family) id
//	role         backend.Role
//	departments  department ids (omitted when empty)
//	did          the device the session was opened from (LoginDevice; omitted otherwise)
//
// Verification accepts EdDSA only, requires exp, iat, iss and one of the
// accepted audiences, checks exp/nbf/iat with Config.Leeway of clock skew,
// and takes the key from the ring by kid; a kid that is not in the ring is
// refused. Reads trust the claims for the token's lifetime; writes re-read
// the user and the session (Service.Authenticate).
//
// # Keys
//
// The ring is stored (SigningKeyStore; in MongoDB the signing_keys
// collection) so that every instance signs and verifies with the same keys.
// The first start with an empty ring creates a key. Each instance caches the
// ring, reloads it after Keyring.MaxAge (one minute) and when a token names
// an unknown kid (at most once per Keyring.MinReload, five seconds).
// Rotation: Keyring.Rotate adds a key that signs from then on; the old key
// keeps verifying. Retire it with Keyring.Retire once its tokens have expired,
// that is AccessTTL + MaxAge after the rotation (sooner only if cutting those
// sessions over to a refresh is acceptable).
//
// # Refresh tokens and sessions
//
// A refresh token is 32 random bytes, base64url without padding; the store
// keeps only its hex SHA-256. Every login starts a session (a token family).
// Each refresh spends the token presented (single use, enforced by the store)
// and issues the next one of the same family. A spent token presented again
// means two parties hold it, so the whole family is revoked; clients must
// therefore never refresh the same token twice concurrently. Logout revokes
// the family. A refresh token lives RefreshTTL (30 days) from its issue; a
// session ends SessionTTL (90 days) after login whatever its refreshes.
//
// # Devices
//
// A service with Config.RequireDevice (the mobile API) logs in only with
// LoginDevice, which names the phone: an id the app generates once per
// installation (8-64 of [A-Za-z0-9_-]), a name and a platform. The device is
// stored as "<userId>/<deviceId>" (backend.DeviceStore) with its first and
// last login; the session (TokenFamily.DeviceID) and every access token of it
// ("did") carry the id, and Authenticate puts it in Actor.DeviceID. Such a
// service refuses tokens and refresh tokens of sessions without a device.
// An administrator revoking the device (backend.Devices.RevokeDevice) revokes
// every session of that user opened from it, so its writes and refreshes are
// refused at once, and a login from it is refused with EFORBIDDEN; reads with
// an access token already issued go on until it expires, as after a logout.
//
// # Throttling
//
// Each login attempt is charged, before the password is checked, to a
// counter per client address (IPv6 per /64) and one per well-formed
// username, in fixed windows shared by every instance (backend.ThrottleStore).
// Over the limit the attempt is refused with ETOOMANY without looking at the
// password; a successful login is refunded. The client address travels in
// the context (WithClientAddr), set by the HTTP layer.
//
// # Audit
//
// auth.login (with the device, if any), auth.login_failed (denied; also a
// login from a revoked device), auth.login_throttled (denied, once
// per lock and window), auth.refresh_reuse (denied) and auth.logout are
// appended to the audit log with the user as object. Passwords, tokens and
// unknown usernames are never recorded.
package auth
