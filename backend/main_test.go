package backend_test

import (
	"testing"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

func TestMain(m *testing.M) {
	backend.PasswordCost = 4 // bcrypt.MinCost: tests hash many passwords
	mongotest.Main(m)
}
