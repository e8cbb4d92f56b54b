package backend

import (
	"fmt"
	"strconv"
	"strings"
)

// EvidenceLimits bound what a phone may declare and upload: a size cap per
// kind of evidence and a quota per task (the sum of its declared files).
// The server checks them when a manifest slot is declared (so the phone
// learns at once, before it starts an upload) and again when an upload
// begins (the limits may have changed since).
type EvidenceLimits struct {
	MaxSize   map[EvidenceType]int64 `json:"maxSize"`
	TaskQuota int64                  `json:"taskQuota"`
}

// DefaultEvidenceLimits are the limits when none are configured.
func DefaultEvidenceLimits() EvidenceLimits {
	return EvidenceLimits{
		MaxSize: map[EvidenceType]int64{
			EvidencePhoto:     25 << 20,
			EvidenceVideo:     500 << 20,
			EvidenceAudio:     100 << 20,
			EvidenceDocument:  50 << 20,
			EvidenceSignature: 5 << 20,
		},
		TaskQuota: 2 << 30,
	}
}

// OrDefault returns l, or the defaults for what l leaves unset.
func (l EvidenceLimits) OrDefault() EvidenceLimits {
	d := DefaultEvidenceLimits()
	if l.TaskQuota > 0 {
		d.TaskQuota = l.TaskQuota
	}
	for t, n := range l.MaxSize {
		if n > 0 {
			d.MaxSize[t] = n
		}
	}
	return d
}

// CheckSize refuses a file of type t over its cap.
func (l EvidenceLimits) CheckSize(slot string, t EvidenceType, size int64) error {
	l = l.OrDefault()
	if max := l.MaxSize[t]; size > max {
		return Errorf(ETOOLARGE, "evidence %q: a %s may have at most %s; this one has %s", slot, t, FormatBytes(max), FormatBytes(size))
	}
	return nil
}

// CheckQuota refuses adding a file of size bytes to task t when the task's
// declared evidence would exceed the quota.
func (l EvidenceLimits) CheckQuota(t *Task, size int64) error {
	l = l.OrDefault()
	var sum int64
	for _, e := range t.Evidence {
		sum += e.Size
	}
	if sum+size > l.TaskQuota {
		return Errorf(ETOOLARGE, "task %s may hold at most %s of evidence; %s is declared already", t.ID, FormatBytes(l.TaskQuota), FormatBytes(sum))
	}
	return nil
}

// ParseEvidenceLimits reads limits as written in configuration:
// "photo=25MiB,video=500MiB,task=2GiB" (any kinds may be left out; the
// defaults stay for them).
func ParseEvidenceLimits(s string) (EvidenceLimits, error) {
	l := EvidenceLimits{MaxSize: map[EvidenceType]int64{}}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return l, Errorf(EINVALID, "evidence limit %q: write kind=size, for example photo=25MiB", part)
		}
		n, err := ParseBytes(strings.TrimSpace(v))
		if err != nil {
			return l, Errorf(EINVALID, "evidence limit %q: %s", part, ErrorMessage(err))
		}
		k = strings.TrimSpace(k)
		switch t := EvidenceType(k); {
		case k == "task":
			l.TaskQuota = n
		case t.Valid():
			l.MaxSize[t] = n
		default:
			return l, Errorf(EINVALID, "evidence limit %q: the kind must be task or one of %s", part, evidenceTypesList)
		}
	}
	return l, nil
}

var byteUnits = []struct {
	suffix string
	size   int64
}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}}

// ParseBytes reads a size such as 25MiB, 500MB, 2GiB or 1048576.
func ParseBytes(s string) (int64, error) {
	mult := int64(1)
	for _, u := range byteUnits {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(num), u.size
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<50)/mult {
		return 0, Errorf(EINVALID, "size must be a positive whole number with an optional unit (KiB, MiB, GiB, KB, MB, GB)")
	}
	return n * mult, nil
}

// FormatBytes writes n in the largest binary unit that divides it evenly
// enough to read: 25 MiB, 1.5 GiB, 512 bytes.
func FormatBytes(n int64) string {
	for _, u := range byteUnits[:3] {
		if n >= u.size {
			v := float64(n) / float64(u.size)
			s := strconv.FormatFloat(v, 'f', 1, 64)
			return strings.TrimSuffix(s, ".0") + " " + u.suffix
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

// MissingPhotos is the cause of a refusal for want of required photos: the
// questions that lack one, for the phone to point at.
type MissingPhotos struct {
	Questions []string // <itemCode>/<questionId>
}

func (e *MissingPhotos) Error() string {
	return "no photo declared for " + strings.Join(e.Questions, ", ")
}
