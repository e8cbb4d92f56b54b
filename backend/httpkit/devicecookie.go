package httpkit

import (
	"github.com/gofiber/fiber/v2"

	"github.com/fieldcheck/fieldcheck/backend"
)

// DeviceCookie names the phone a browser's inspector app runs on. It is
// set with each inspection code issued to the phone (mobileapi), and a
// rating sent from a browser that carries it (backend/api's pages) is
// compared with the devices the team worked from: an inspector rating their
// own visit from their phone's browser is flagged, whatever network it is
// on. It is a hint for oversight, not a credential.
const DeviceCookie = "fc_device"

// SetDeviceCookie gives the browser the caller's device (see DeviceCookie).
func SetDeviceCookie(c *fiber.Ctx) {
	a := backend.ActorFrom(c.UserContext())
	if a == nil || a.DeviceID == "" {
		return
	}
	c.Cookie(&fiber.Cookie{Name: DeviceCookie, Value: a.DeviceID, Path: "/", MaxAge: 400 * 24 * 3600,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: c.Protocol() == "https"})
}

// CookieDevice returns the device the browser's cookie names, if
// well-formed.
func CookieDevice(c *fiber.Ctx) string {
	if d := c.Cookies(DeviceCookie); backend.ValidDeviceID(d) {
		return d
	}
	return ""
}
