package backend_test

import (
	"strings"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
)

func TestDeviceInfoValidate(t *testing.T) {
	tests := []struct {
		name    string
		device  backend.DeviceInfo
		wantMsg string // "" = valid
	}{
		{"OK", backend.DeviceInfo{ID: "a1B2-c3_d4", Name: "华为 Mate 60", Platform: backend.PlatformHarmonyOS}, ""},
		{"OKNoName", backend.DeviceInfo{ID: "abcdefgh", Platform: backend.PlatformAndroid}, ""},
		{"OK64", backend.DeviceInfo{ID: strings.Repeat("x", 64), Platform: backend.PlatformIOS}, ""},
		{"OKNameOf100Bytes", backend.DeviceInfo{ID: "abcdefgh", Name: strings.Repeat("手", 33) + "x", Platform: backend.PlatformOther}, ""},
		{"ErrMissing", backend.DeviceInfo{}, "device is required"},
		{"ErrNoID", backend.DeviceInfo{Platform: backend.PlatformAndroid}, "device id"},
		{"ErrShortID", backend.DeviceInfo{ID: "abcdefg", Platform: backend.PlatformAndroid}, "device id"},
		{"ErrLongID", backend.DeviceInfo{ID: strings.Repeat("x", 65), Platform: backend.PlatformAndroid}, "device id"},
		{"ErrSlashInID", backend.DeviceInfo{ID: "abcd/efgh", Platform: backend.PlatformAndroid}, "device id"},
		{"ErrDollarInID", backend.DeviceInfo{ID: "$abcdefgh", Platform: backend.PlatformAndroid}, "device id"},
		{"ErrNonASCIIID", backend.DeviceInfo{ID: "abcdéfgh", Platform: backend.PlatformAndroid}, "device id"},
		{"ErrNoPlatform", backend.DeviceInfo{ID: "abcdefgh"}, "platform"},
		{"ErrUnknownPlatform", backend.DeviceInfo{ID: "abcdefgh", Platform: "windows"}, "platform"},
		{"ErrPlatformCase", backend.DeviceInfo{ID: "abcdefgh", Platform: "Android"}, "platform"},
		{"ErrNameOver100Bytes", backend.DeviceInfo{ID: "abcdefgh", Name: strings.Repeat("手", 34), Platform: backend.PlatformAndroid}, "at most 100 bytes"},
		{"ErrNameInvalidUTF8", backend.DeviceInfo{ID: "abcdefgh", Name: "bad\xff", Platform: backend.PlatformAndroid}, "UTF-8"},
		{"ErrNameControl", backend.DeviceInfo{ID: "abcdefgh", Name: "a\x00b", Platform: backend.PlatformAndroid}, "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.device.Validate()
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("Validate()=%v, want nil", err)
				}
				return
			}
			if got := backend.ErrorCode(err); got != backend.EINVALID {
				t.Fatalf("code=%q (err=%v), want %q", got, err, backend.EINVALID)
			}
			if got := backend.ErrorMessage(err); !strings.Contains(got, tt.wantMsg) {
				t.Fatalf("message=%q, want it to contain %q", got, tt.wantMsg)
			}
		})
	}
}

func TestDeviceValidateKey(t *testing.T) {
	d := &backend.Device{ID: backend.DeviceKey("li", "phone-0001"), UserID: "li", DeviceID: "phone-0001", Platform: backend.PlatformAndroid}
	if err := d.Validate(); err != nil {
		t.Fatalf("Validate()=%v, want nil", err)
	}
	d.ID = "li/phone-0002"
	if err := d.Validate(); !backend.IsCode(err, backend.EINVALID) {
		t.Fatalf("Validate() with a mismatched key=%v, want invalid", err)
	}
}
