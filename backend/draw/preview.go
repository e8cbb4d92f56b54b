package draw

// Strata returns what a draw of in would take from each stratum — its
// population, its eligible count N and its n, by the plan's rules — without
// drawing: no seed, no PRN, so neither the secret nor the public entropy is
// needed (those fields of in are ignored). The numbers are the draw's own
// (prepareStrata), so a preview cannot disagree with the draw that follows
// on the same directory.
func Strata(in Input) ([]Stratum, error) {
	e := &engine{in: &in}
	if err := e.prepareStrata("draw.Strata"); err != nil {
		return nil, err
	}
	return e.strata, nil
}
