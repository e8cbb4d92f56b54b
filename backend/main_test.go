package backend_test

import (
	"testing"

	"github.com/fieldcheck/fieldcheck/backend/app/apptest"
)

func TestMain(m *testing.M) { apptest.Main(m) }
