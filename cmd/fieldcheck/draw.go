package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/fieldcheck/fieldcheck/backend"
	"github.com/fieldcheck/fieldcheck/backend/draw"
)

// maxRecordBytes bounds a draw record read by verify: a million candidates
// make about 70 MB of JSON.
const maxRecordBytes = 512 << 20

func runDraw(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) != 2 || args[0] != "verify" {
		return usageError("usage: fieldcheck draw verify FILE_OR_URL")
	}
	src := args[1]
	data, err := readRecord(ctx, src)
	if err != nil {
		return err
	}
	var head struct {
		Algorithm string `json:"algorithm"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return exitError{code: 1, msg: fmt.Sprintf("%s is not a draw record: %v", src, err)}
	}
	if head.Algorithm == draw.RoundAlgorithm {
		return verifyRound(data, src, stdout)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var rec draw.Record
	if err := dec.Decode(&rec); err != nil {
		return exitError{code: 1, msg: fmt.Sprintf("%s is not a draw record: %v", src, err)}
	}
	diffs := draw.Verify(&rec)
	if len(diffs) == 0 {
		fmt.Fprintf(stdout, "draw record verifies: %s plan %s version %d, %d candidates, %d selected, %d replacements\n",
			rec.Algorithm, rec.PlanID, rec.PlanVersion, len(rec.Population), len(rec.Selected), len(rec.Replacements))
		if src := rec.EntropySource; src != nil {
			// What the record cannot prove: that the value is the event's
			// real result. Anyone can look it up.
			fmt.Fprintf(stdout, "public entropy %q is the result of the declared source %s, published %s: check it against the source\n",
				rec.PublicEntropy, src, backend.FormatChinaTime(src.ResultAt()))
		} else {
			fmt.Fprintln(stdout, "the record declares no entropy source (drawn before sources were declared): its public entropy is free text")
		}
		return nil
	}
	return differences(stdout, "draw record", diffs)
}

// differences lists what does not verify (the first 50) and fails.
func differences(stdout io.Writer, what string, diffs []draw.Difference) error {
	fmt.Fprintf(stdout, "%s does NOT verify: %d differences\n", what, len(diffs))
	for i, d := range diffs {
		if i == 50 {
			fmt.Fprintf(stdout, "  … and %d more\n", len(diffs)-50)
			break
		}
		fmt.Fprintf(stdout, "  %s\n", d)
	}
	return exitError{code: 1}
}

// verifyRound checks an fc-draw-2 round record.
func verifyRound(data []byte, src string, stdout io.Writer) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var rec draw.RoundRecord
	if err := dec.Decode(&rec); err != nil {
		return exitError{code: 1, msg: fmt.Sprintf("%s is not a round record: %v", src, err)}
	}
	diffs := draw.VerifyRound(&rec)
	if len(diffs) > 0 {
		return differences(stdout, "round record", diffs)
	}
	joint := 0
	for _, v := range rec.Visits {
		if v.Joint() {
			joint++
		}
	}
	fmt.Fprintf(stdout, "round record verifies: %s round %s, %d plans, %d visits of which %d joint\n",
		rec.Algorithm, rec.RoundID, len(rec.Plans), len(rec.Visits), joint)
	if n := len(rec.Replacements); n > 0 {
		fmt.Fprintf(stdout, "%d replacements of plans' parts, each redone on the round as it stood:\n", n)
		for _, x := range rec.Replacements {
			how := "a new visit"
			if x.Joins {
				how = "joins its visit"
			}
			fmt.Fprintf(stdout, "  plan %s: %s replaced by %s (stratum %s, PRN %s, %s), reason %q\n",
				x.Plan, x.Replaced, x.Replacement, x.Stratum, x.PRN, how, x.Reason)
		}
	}
	for _, p := range rec.Plans {
		if len(p.Tags) > 0 {
			fmt.Fprintf(stdout, "plan %s targets the tags %s: each of its %d targets carries one\n", p.PlanID, strings.Join(p.Tags, ", "), len(p.Population))
		}
	}
	if src := rec.EntropySource; src != nil {
		fmt.Fprintf(stdout, "public entropy %q is the result of the declared source %s, published %s: check it against the source\n",
			rec.PublicEntropy, src, backend.FormatChinaTime(src.ResultAt()))
	}
	return nil
}

func readRecord(ctx context.Context, src string) ([]byte, error) {
	if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
		if err != nil {
			return nil, usageError("bad URL %q: %v", src, err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, exitError{code: 1, msg: fmt.Sprintf("fetch %s: %v", src, err)}
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, exitError{code: 1, msg: fmt.Sprintf("fetch %s: %s", src, resp.Status)}
		}
		return readLimited(resp.Body, src)
	}
	f, err := os.Open(src)
	if err != nil {
		return nil, exitError{code: 1, msg: err.Error()}
	}
	defer f.Close()
	return readLimited(f, src)
}

func readLimited(r io.Reader, src string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxRecordBytes+1))
	if err != nil {
		return nil, exitError{code: 1, msg: fmt.Sprintf("read %s: %v", src, err)}
	}
	if len(data) > maxRecordBytes {
		return nil, exitError{code: 1, msg: fmt.Sprintf("%s is larger than %d MiB", src, maxRecordBytes>>20)}
	}
	return data, nil
}
