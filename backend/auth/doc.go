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
// refused. The claims are not trusted alone: every request, reads
// included, re-reads the user and the session by _id (Service.Authenticate),
// so that an ended session, a disabled user or a role change take effect at
// the next request, on every instance. The Actor carries the stored role
// and departments. Cost: two lookups by _id a request (docs/benchmarks.md).
//
// # Keys
//
// The ring is stored (SigningKeyStore; in MongoDB the signing_keys
// collection) so that every instance signs and verifies with the same keys;
// it is backend/keyring's ring, the same type the printed codes use. The
// first start with an empty ring creates a key. Each instance caches the
// ring, reads it again once it is older than Keyring.MaxAge (5 seconds) and
// when a token names an unknown kid (at most once per Keyring.MinReload, a
// second). Rotation: Keyring.Rotate adds a key that signs from then on; the
// old key keeps verifying. Keyring.Retire refuses the tokens a key signed,
// on every instance within MaxAge; retire a key once its tokens have
// expired, that is AccessTTL + MaxAge after the rotation (sooner only if
// cutting those sessions over to a refresh is acceptable).
//
// # Refresh tokens and sessions
//
// A refresh token is 32 random bytes, base64url without padding; the store
// keeps only its hex SHA-256. Every login starts a session (a token family).
// Each refresh spends the token presented (single use, enforced by the store)
// and issues the next one of the same family. A spent token presented again
// means two parties hold it, so the whole family is revoked; clients must
// therefore never refresh the same token twice concurrently. One exception
// (RefreshGrace, 30 seconds): a client that lost the answer to its refresh
// (a dropped network, a killed app, a reloaded page) presents the spent
// token again; while the token it was spent for is unused, that one is
// spent in its stead and a new one issued (audited auth.refresh_retry). Logout revokes
// the family. A refresh token lives RefreshTTL (30 days) from its issue; a
// session ends SessionTTL (90 days) after login whatever its refreshes.
//
// # Browser sessions
//
// The console logs in with LoginBrowser: the same password check,
// throttling and audit as Login, but the session is a token family of
// BrowserAudience without refresh tokens. The browser keeps a random
// secret (32 bytes, base64url) in an HttpOnly cookie; the family's id is
// its hex SHA-256, so AuthenticateBrowser finds the session by _id and the
// store never holds the secret. The session ends at LogoutBrowser,
// Config.BrowserIdle (30 minutes) after its last use (TokenFamily.LastSeenAt,
// written at most once per BrowserTouch, a minute), Config.BrowserTTL (12
// hours) after the login, and with the user's session epoch like every
// other session. Its CSRF token is HMAC-SHA256(secret, "fieldcheck csrf
// 1\n"), base64url: derived, not stored; the HTTP layer requires it on every
// request of the cookie that changes something.
//
// # Sessions ended by an administrator
//
// A password reset, a disable (or enable) and "end all sessions"
// (backend.Users.EndSessions) move the user's SessionEpoch. A session
// records the epoch of the user record its password was checked against
// (TokenFamily.UserEpoch), and one whose epoch is behind the user's is
// refused at its next request or refresh. One single-document update thus
// ends every session of the user, on both APIs and every device, and a
// login racing a reset cannot slip through: it read the old epoch with the
// old password hash.
//
// # Roles
//
// Config.Roles limits a service to some roles: the mobile API serves
// inspectors only. Others are told so (EFORBIDDEN) once their password was
// right, which does not count as a failure; a session whose user changed to
// another role is refused at its next request and refresh.
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
// every session of that user opened from it, so its requests and refreshes
// are refused at once, withdraws the inspection codes it was given, and a
// login from it is refused with EFORBIDDEN.
//
// # Throttling
//
// Each login attempt of a well-formed username (existing or not, so that
// throttling tells nothing) is checked and charged before the password is
// looked at, in the store every instance shares (backend.LoginThrottleStore),
// with the limits of ThrottleConfig:
//
//   - the pair of account and client address (IPv6 per /64): 5 failures
//     go unhindered, then each attempt waits 2 s after the one before,
//     doubled by each further failure, at most 15 minutes; a success or a
//     day without failure forgets it. A stranger's failures from elsewhere
//     never delay the real user.
//   - the address, whatever the accounts: 20 failures in a 15-minute
//     window refuse it until the window ends; at most MaxAddressInFlight
//     attempts under way at once.
//   - the account, from every address: the 100th failure in an hour locks
//     it for an hour (backend.LoginLock), listed for administrators
//     (Service.LoginLocks), who can lift it (Service.LiftLoginLock).
//
// Refused attempts (ETOOMANY, with a ThrottleError saying how long to wait)
// count nowhere; a successful login takes its charges back. Because charges
// come first, parallel guesses get no more password checks than the limits.
// The client address travels in the context (WithClientAddr), set by the
// HTTP layer.
//
// # Audit
//
// auth.login (with the device, if any), auth.login_failed (denied; also a
// login from a revoked device or of a role the service does not serve),
// auth.login_throttled (denied: when an address is refused, and when a
// pair's delays begin), auth.account_locked (denied, once per lock),
// auth.account_unlocked (an administrator lifted a lock), auth.refresh_reuse
// (denied) and auth.logout are appended to the audit log with the user as
// object. Passwords, tokens and unknown usernames are never recorded (a
// name that is locked or delayed is, as the object).
package auth
