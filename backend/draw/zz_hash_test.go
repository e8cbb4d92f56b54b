package draw_test

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/fieldcheck/fieldcheck/backend/draw"
)

func TestZZHash(t *testing.T) {
	for _, n := range []int{1000, 200_000} {
		rec, err := draw.RunRound(benchRound(n, 8))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(rec)
		fmt.Printf("ZZ %d %x\n", n, sha256.Sum256(b))
	}
}
