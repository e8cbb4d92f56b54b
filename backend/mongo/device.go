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
	update := bson.D{
		{Key: "$set", Value: bson.D{
			{Key: "userId", Value: d.UserID},
			{Key: "deviceId", Value: d.DeviceID},
			{Key: "name", Value: d.Name},
			{Key: "platform", Value: d.Platform},
			{Key: "lastSeen", Value: d.LastSeen.UTC()},
		}},
		{Key: "$setOnInsert", Value: bson.D{{Key: "firstSeen", Value: d.FirstSeen.UTC()}}},
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
	const op = "RevokeDevice"
	// A device is revoked once: its one audited write (version 1 of its key).
	return s.DB.audited(ctx, colDevices, "device", d.ID, 1, d, func() error {
		ok, err := s.DB.engine.updateIf(ctx, s.DB.c(colDevices), d.ID, bson.D{{Key: "revokedAt", Value: nil}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "revokedAt", Value: d.RevokedAt.UTC()}, {Key: "revokedBy", Value: d.RevokedBy},
				{Key: "reason", Value: d.Reason}, {Key: "auditPending", Value: d.AuditPending}}}}, false)
		if err != nil {
			return translate(op, err)
		}
		if ok {
			return nil
		}
		if _, err := s.FindDeviceByID(ctx, d.ID); err != nil {
			return err
		}
		return &backend.Error{Code: backend.ECONFLICT, Op: op, Message: "device was revoked already"}
	})
}
