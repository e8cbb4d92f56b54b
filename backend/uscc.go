package backend

import "strings"

// The 统一社会信用代码 (unified social credit code, GB 32100-2015) is 18
// characters over a 31-character alphabet (digits and capitals without I, O,
// S, V, Z). The 18th character is a check character computed from the first 17.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights[i] = 3^i mod 31, as GB 32100-2015 prescribes.
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// USCCCheckChar returns the check character for the first 17 characters of a
// code, or false when they contain a character outside the alphabet.
func USCCCheckChar(first17 string) (byte, bool) {
	if len(first17) != 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(usccAlphabet, first17[i])
		if v < 0 {
			return 0, false
		}
		sum += v * usccWeights[i]
	}
	return usccAlphabet[(31-sum%31)%31], true
}

// ValidateUSCC checks length, alphabet, the registration-authority and
// organisation-type positions and the check character of a USCC. The code
// must already be upper case: codes are stored and compared exactly.
func ValidateUSCC(code string) error {
	if len(code) != 18 {
		return Errorf(EINVALID, "USCC %q must be 18 characters", code)
	}
	for i := 0; i < 18; i++ {
		if strings.IndexByte(usccAlphabet, code[i]) < 0 {
			return Errorf(EINVALID, "USCC %q has an invalid character %q at position %d", code, code[i], i+1)
		}
	}
	for i := 2; i < 8; i++ {
		if code[i] < '0' || code[i] > '9' {
			return Errorf(EINVALID, "USCC %q: positions 3-8 must be the administrative division code", code)
		}
	}
	want, _ := USCCCheckChar(code[:17])
	if code[17] != want {
		return Errorf(EINVALID, "USCC %q has a wrong check character (want %c)", code, want)
	}
	return nil
}

// USCCKind returns the target kind implied by the first two characters of a
// USCC issued by market supervision (registration authority 9): 91
// enterprise, 92 individual business, 93 farmers' cooperative. Other codes
// (other registration authorities) return "".
func USCCKind(code string) TargetKind {
	if len(code) < 2 {
		return ""
	}
	switch code[:2] {
	case "91":
		return KindEnterprise
	case "92":
		return KindIndividual
	case "93":
		return KindCooperative
	}
	return ""
}
