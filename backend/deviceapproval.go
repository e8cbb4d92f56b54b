package backend

import (
	"context"
	"strings"
	"time"
)

// MaxDeviceList bounds the devices across users one answer lists (the
// devices waiting for approval, those unused for DeviceStaleDays).
const MaxDeviceList = 200

// DeviceList is a list of devices across users; Truncated says more
// matched than MaxDeviceList.
type DeviceList struct {
	Items     []*Device `json:"items"`
	Truncated bool      `json:"truncated"`
}

// DeviceView names the lists of devices across users.
type DeviceView string

const (
	// DeviceViewPending: the devices waiting for approval, the longest
	// waiting first.
	DeviceViewPending DeviceView = "pending"
	// DeviceViewStale: approved devices not revoked and unused for
	// DeviceStaleDays, the longest unused first — to revoke if lost.
	DeviceViewStale DeviceView = "stale"
)

// FindDevices lists devices across users (administrators only): those
// waiting for approval or those unused for DeviceStaleDays, at most
// MaxDeviceList, each with its user's display name.
func (s *Devices) FindDevices(ctx context.Context, view DeviceView) (*DeviceList, error) {
	if _, err := requireReader(ctx, RoleAdmin); err != nil {
		return nil, err
	}
	f, err := s.deviceFilter(view, MaxDeviceList)
	if err != nil {
		return nil, err
	}
	list, more, err := s.Store.FindDevices(ctx, f)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, d := range list {
		d.normalize()
		name, ok := names[d.UserID]
		if !ok {
			if u, err := s.Users.FindUserByID(ctx, d.UserID); err == nil {
				name = u.DisplayName
			} else if !IsCode(err, ENOTFOUND) {
				return nil, err
			}
			names[d.UserID] = name
		}
		d.UserName = name
	}
	if list == nil {
		list = []*Device{}
	}
	return &DeviceList{Items: list, Truncated: more}, nil
}

// deviceFilter is the store's filter of a view.
func (s *Devices) deviceFilter(view DeviceView, limit int) (DeviceFilter, error) {
	switch view {
	case DeviceViewPending:
		return DeviceFilter{Approval: DevicePending, Limit: limit}, nil
	case DeviceViewStale:
		before := s.Now().UTC().AddDate(0, 0, -DeviceStaleDays)
		return DeviceFilter{SeenBefore: &before, Limit: limit}, nil
	}
	return DeviceFilter{}, Errorf(EINVALID, "view %q must be pending or stale", view)
}

// CountDevices counts the devices of a view for the dashboard, at most
// DashboardScanLimit (capped says there were more). Only for
// administrators: others get 0.
func (s *Devices) CountDevices(ctx context.Context, view DeviceView) (n int, capped bool, err error) {
	if a := ActorFrom(ctx); a == nil || a.Role != RoleAdmin {
		return 0, false, nil
	}
	f, err := s.deviceFilter(view, DashboardScanLimit)
	if err != nil {
		return 0, false, err
	}
	list, more, err := s.Store.FindDevices(ctx, f)
	return len(list), more, err
}

// ApproveDevice lets a pending device log in (administrators only;
// audited). Approving a device that is not pending is ECONFLICT.
func (s *Devices) ApproveDevice(ctx context.Context, userID, deviceID string) (*Device, error) {
	return s.decide(ctx, "device.approve", userID, deviceID, DeviceApproved, "")
}

// RejectDevice refuses a pending device for good, with a reason
// (administrators only; audited): its logins are refused with
// EDEVICEREJECTED. The inspector logs in from another device, or an
// administrator approves a new installation.
func (s *Devices) RejectDevice(ctx context.Context, userID, deviceID, reason string) (*Device, error) {
	return s.decide(ctx, "device.reject", userID, deviceID, DeviceRejected, reason)
}

// deviceAdmin checks that the caller is an administrator (recording a
// refusal of action on the device) and that the ids are well formed.
func (s *Devices) deviceAdmin(ctx context.Context, action, userID, deviceID string) (*Actor, error) {
	a, err := requireWriter(ctx, RoleAdmin)
	if err != nil {
		_, _ = s.Audit.Append(ctx, AuditRecord{Action: action, ObjectType: "device", ObjectID: DeviceKey(userID, deviceID), Outcome: OutcomeDenied, Detail: ErrorMessage(err)})
		return nil, err
	}
	if !ValidUsername(userID) {
		return nil, Errorf(ENOTFOUND, "user %q not found", userID)
	}
	if !ValidDeviceID(deviceID) {
		return nil, Errorf(EINVALID, "device id must be 8-64 letters, digits, '_' or '-'")
	}
	return a, nil
}

func (s *Devices) decide(ctx context.Context, action, userID, deviceID string, to DeviceApproval, reason string) (*Device, error) {
	key := DeviceKey(userID, deviceID)
	a, err := s.deviceAdmin(ctx, action, userID, deviceID)
	if err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if to == DeviceRejected {
		if err := checkText("reason", reason, 1, 500); err != nil {
			return nil, err
		}
	}
	d, err := s.Store.FindDeviceByID(ctx, key)
	if err != nil {
		return nil, err
	}
	if !d.Pending() {
		return nil, Errorf(ECONFLICT, "device %s is not waiting for approval (it is %s)", key, d.normalize().Approval)
	}
	now := s.Now().UTC().Truncate(time.Millisecond)
	d.Approval, d.DecidedAt, d.DecidedBy, d.DecisionNote = to, &now, a.UserID, reason
	detail := "approved: it may log in"
	if to == DeviceRejected {
		detail = "rejected: " + reason
	}
	d.Record(AuditRecord{Action: action, ObjectType: "device", ObjectID: key, Change: deviceChange(d), Detail: detail})
	if err := s.Store.DecideDevice(ctx, d); err != nil {
		if IsCode(err, ECONFLICT) {
			return nil, Errorf(ECONFLICT, "device %s was decided by someone else a moment ago", key)
		}
		return nil, err
	}
	return d.normalize(), nil
}
