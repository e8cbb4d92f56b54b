package httpkit

import "encoding/json"

// BodyCheck returns the request-schema check of a route of method taking
// bodies of type req (bodyRule), as the route runs it before its handler:
// for benchmarks.
func BodyCheck(method string, req any) func(body []byte) error {
	s := &Router{}
	br := s.bodyRule(Route{Method: method, Request: req})
	return func(body []byte) error {
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return err
		}
		return br.check(v, br.root, "")
	}
}
