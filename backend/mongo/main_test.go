package mongo_test

import (
	"testing"

	"github.com/fieldcheck/fieldcheck/backend/mongo/mongotest"
)

func TestMain(m *testing.M) { mongotest.Main(m) }
