package importer_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend/importer"
)

func TestZZDebug(t *testing.T) {
	for _, f := range []string{"enterprises_bad.csv", "inspectors_bad.csv", "items_bad.csv"} {
		k := importer.Targets
		if f[:3] == "ins" {
			k = importer.Inspectors
		} else if f[:3] == "ite" {
			k = importer.Items
		}
		file, _ := os.Open(fixture(f))
		n, errs, err := importer.Check(k, file, importer.FormatAuto)
		fmt.Println(f, n, err)
		for _, e := range errs {
			fmt.Println("  ", e)
		}
	}
}
