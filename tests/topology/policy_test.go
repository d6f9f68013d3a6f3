package topology_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// policyDoc is a parsed IAM policy document. Action and Resource accept
// both the string and the list form.
type policyDoc struct {
	Version   string
	Statement []policyStatement
}

type policyStatement struct {
	Sid       string
	Effect    string
	Principal any
	Action    stringOrList
	Resource  stringOrList
	Condition map[string]map[string]any
}

type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
}

func parsePolicy(t *testing.T, doc string) policyDoc {
	t.Helper()
	var p policyDoc
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("policy is not a valid IAM document: %v\n%s", err, doc)
	}
	if p.Version != "2012-10-17" {
		t.Errorf("policy version = %q, want 2012-10-17", p.Version)
	}
	if len(p.Statement) == 0 {
		t.Fatalf("policy has no statements: %s", doc)
	}
	return p
}

// statement returns the statement with the given Sid.
func (p policyDoc) statement(t *testing.T, sid string) policyStatement {
	t.Helper()
	for _, s := range p.Statement {
		if s.Sid == sid {
			return s
		}
	}
	t.Fatalf("policy has no statement %q", sid)
	return policyStatement{}
}

// errorReporter is the part of *testing.T the least-privilege check uses,
// so that the check itself can be tested.
type errorReporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// recorder is an errorReporter that only remembers whether it failed.
type recorder struct{ failed bool }

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }

// allowedWildcardSuffixes are the only places a role policy may use "*"
// inside an ARN: the last path segment of a resource scoped to this
// account's Bedrock async invocations, or to the videos/ or inputs/ prefix
// of the bucket.
var allowedWildcardSuffixes = []string{":async-invoke/*", "/videos/*", "/inputs/*"}

// resourcelessActions have no resource type in the Service Authorization
// Reference, so only "Resource": "*" can grant them. A statement on "*" must
// hold these actions and nothing else.
var resourcelessActions = []string{"bedrock:ListAsyncInvokes"}

// assertLeastPrivilege fails if an Allow statement has a wildcard action, a
// "*" resource (except a statement of resource-less actions alone), a
// wildcard anywhere but an allowed final segment, or no resource at all.
func assertLeastPrivilege(t errorReporter, name string, p policyDoc) {
	t.Helper()
	for _, s := range p.Statement {
		if s.Effect != "Allow" {
			t.Errorf("%s: statement %q has effect %q; role policies only allow", name, s.Sid, s.Effect)
			continue
		}
		if len(s.Action) == 0 {
			t.Errorf("%s: statement %q has no actions", name, s.Sid)
		}
		for _, a := range s.Action {
			if strings.Contains(a, "*") {
				t.Errorf("%s: statement %q allows wildcard action %q", name, s.Sid, a)
			}
		}
		if len(s.Resource) == 0 {
			t.Errorf("%s: statement %q has no resources (implicitly \"*\")", name, s.Sid)
		}
		onlyResourceless := len(s.Action) > 0 && !slices.ContainsFunc(s.Action, func(a string) bool {
			return !slices.Contains(resourcelessActions, a)
		})
		for _, r := range s.Resource {
			if r == "*" {
				if !onlyResourceless || len(s.Resource) != 1 {
					t.Errorf("%s: statement %q allows %v on \"*\"; only %v may be, in a statement of their own",
						name, s.Sid, s.Action, resourcelessActions)
				}
				continue
			}
			if !strings.Contains(r, "*") {
				continue
			}
			ok := slices.ContainsFunc(allowedWildcardSuffixes, func(suf string) bool {
				return strings.HasSuffix(r, suf) && strings.Count(r, "*") == 1
			})
			if !ok {
				t.Errorf("%s: statement %q allows over-broad resource %q", name, s.Sid, r)
			}
		}
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func TestAssertLeastPrivilegeCatchesBroadPolicies(t *testing.T) {
	// The checker itself must fail on the shapes it is meant to catch.
	cases := map[string]string{
		"wildcard action":        `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/videos/*"}]}`,
		"star resource":          `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`,
		"whole bucket":           `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`,
		"any foundation":         `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"arn:aws:bedrock:us-east-1::foundation-model/*"}]}`,
		"missing resource":       `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:ReceiveMessage"}]}`,
		"double wildcard":        `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::*/videos/*"}]}`,
		"deny in role policy":    `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/videos/*"}]}`,
		"scoped action on star":  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["bedrock:ListAsyncInvokes","bedrock:GetAsyncInvoke"],"Resource":"*"}]}`,
		"list beside scoped ARN": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:ListAsyncInvokes","Resource":["*","arn:aws:s3:::b/videos/*"]}]}`,
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{}
			assertLeastPrivilege(rec, name, parsePolicy(t, doc))
			if !rec.failed {
				t.Errorf("least-privilege check accepted %s", doc)
			}
		})
	}
	// And it must accept the one justified "*".
	rec := &recorder{}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:ListAsyncInvokes","Resource":"*"}]}`
	assertLeastPrivilege(rec, "list", parsePolicy(t, doc))
	if rec.failed {
		t.Errorf("least-privilege check rejected %s", doc)
	}
}
