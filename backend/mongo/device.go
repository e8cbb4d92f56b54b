package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/fieldcheck/fieldcheck/backend"
)

const colDevices = "devices"

// DeviceStore implements backend.DeviceStore. Devices are keyed by
// "<userId>/<deviceId>", so a login touches them by _id only.
type DeviceStore struct{ DB *DB }

var _ backend.DeviceStore = (*DeviceStore)(nil)

func (s *DeviceStore) UpsertDevice(ctx context.Context, d *backend.Device) (*backend.Device, error) {
	const op = "UpsertDevice"
	// FerretDB's findAndModify reads, then writes: the lock orders it
	// with RevokeDevice (updateIf takes the same lock).
	defer s.DB.engine.exclusive(colDevices, d.ID)()
	onInsert := bson.D{{Key: "firstSeen", Value: d.FirstSeen.UTC()}}
	if d.Approval != "" {
		// A new device of a deployment that approves devices is pending.
		onInsert = append(onInsert, bson.E{Key: "approval", Value: d.Approval})
	}
	update := bson.D{
		{Key: "$set", Value: bson.D{
			{Key: "userId", Value: d.UserID},
			{Key: "deviceId", Value: d.DeviceID},
			{Key: "name", Value: d.Name},
			{Key: "platform", Value: d.Platform},
			{Key: "lastSeen", Value: d.LastSeen.UTC()},
		}},
		{Key: "$setOnInsert", Value: onInsert},
	}
	var stored backend.Device
	var err error
	for range 3 { // two first logins of one device race: one insert fails, and retries as an update
		err = s.DB.c(colDevices).FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: d.ID}}, update,
			options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&stored)
		if !mongo.IsDuplicateKeyError(err) {
			break
		}
	}
	if err != nil {
		return nil, translate(op, err)
	}
	return &stored, nil
}

func (s *DeviceStore) FindDeviceByID(ctx context.Context, id string) (*backend.Device, error) {
	return findByID[backend.Device](ctx, s.DB.c(colDevices), "FindDeviceByID", "device", id)
}

// FindDevicesOfUser scans the collection on FerretDB: a user has a few
// devices, and only administrators list them.
func (s *DeviceStore) FindDevicesOfUser(ctx context.Context, userID string) ([]*backend.Device, error) {
	const op = "FindDevicesOfUser"
	cur, err := s.DB.c(colDevices).Find(ctx, bson.D{{Key: "userId", Value: userID}})
	if err != nil {
		return nil, translate(op, err)
	}
	out := []*backend.Device{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, translate(op, err)
	}
	return out, nil
}

func (s *DeviceStore) RevokeDevice(ctx context.Context, d *backend.Device) error {
	// A device is revoked once: its one audited write of version 1.
	return s.updateOnce(ctx, "RevokeDevice", d, 1, bson.D{{Key: "revokedAt", Value: nil}},
		bson.D{{Key: "revokedAt", Value: d.RevokedAt.UTC()}, {Key: "revokedBy", Value: d.RevokedBy}, {Key: "reason", Value: d.Reason}},
		"device was revoked already")
}

// DecideDevice is the device's decision, its one audited write of version
// 2 (its revocation is version 1): from pending only.
func (s *DeviceStore) DecideDevice(ctx context.Context, d *backend.Device) error {
	return s.updateOnce(ctx, "DecideDevice", d, 2, bson.D{{Key: "approval", Value: string(backend.DevicePending)}},
		bson.D{{Key: "approval", Value: d.Approval}, {Key: "decidedAt", Value: d.DecidedAt.UTC()}, {Key: "decidedBy", Value: d.DecidedBy}, {Key: "decisionNote", Value: d.DecisionNote}},
		"device is not waiting for approval")
}

// updateOnce is one of a device's audited writes, made once (version):
// set, with the entries it carries, if the stored device matches cond;
// ECONFLICT (conflict) if it does not, ENOTFOUND if there is none.
func (s *DeviceStore) updateOnce(ctx context.Context, op string, d *backend.Device, version int64, cond, set bson.D, conflict string) error {
	return s.DB.audited(ctx, colDevices, "device", d.ID, version, d, func() error {
		set := append(set, bson.E{Key: "auditPending", Value: d.AuditPending})
		ok, err := s.DB.engine.updateIf(ctx, s.DB.c(colDevices), d.ID, cond, bson.D{{Key: "$set", Value: set}}, false)
		if err != nil {
			return translate(op, err)
		}
		if ok {
			return nil
		}
		if _, err := s.FindDeviceByID(ctx, d.ID); err != nil {
			return err
		}
		return &backend.Error{Code: backend.ECONFLICT, Op: op, Message: conflict}
	})
}

// FindDevices reads the devices of f over the indexes (approval,
// lastSeen) and (lastSeen) on MongoDB; the embedded store scans the
// collection, one small document per phone.
func (s *DeviceStore) FindDevices(ctx context.Context, f backend.DeviceFilter) ([]*backend.Device, bool, error) {
	const op = "FindDevices"
	if f.Limit < 1 {
		return nil, false, &backend.Error{Code: backend.EINTERNAL, Op: op, Message: "no limit"}
	}
	filter := bson.D{}
	if f.Approval != "" {
		filter = append(filter, bson.E{Key: "approval", Value: string(f.Approval)})
	}
	if f.SeenBefore != nil {
		filter = append(filter,
			bson.E{Key: "lastSeen", Value: bson.D{{Key: "$lt", Value: f.SeenBefore.UTC()}}},
			bson.E{Key: "revokedAt", Value: nil},
			bson.E{Key: "approval", Value: bson.D{{Key: "$nin", Value: bson.A{string(backend.DevicePending), string(backend.DeviceRejected)}}}})
	}
	opts := options.Find().SetSort(bson.D{{Key: "lastSeen", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(f.Limit + 1))
	cur, err := s.DB.c(colDevices).Find(ctx, filter, opts)
	if err != nil {
		return nil, false, translate(op, err)
	}
	out := []*backend.Device{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, false, translate(op, err)
	}
	more := len(out) > f.Limit
	if more {
		out = out[:f.Limit]
	}
	return out, more, nil
}
