package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakePulumi puts a `pulumi` on PATH that records its arguments and answers
// with stdout, stderr and exit status code.
func fakePulumi(t *testing.T, stdout, stderr string, code int) (argsFile string) {
	t.Helper()
	dir := t.TempDir()
	argsFile = filepath.Join(dir, "args")
	outFile, errFile := filepath.Join(dir, "stdout"), filepath.Join(dir, "stderr")
	script := fmt.Sprintf("#!/bin/sh\necho \"$@\" > '%s'\ncat '%s'\ncat '%s' >&2\nexit %d\n", argsFile, outFile, errFile, code)
	for name, data := range map[string]string{outFile: stdout, errFile: stderr, filepath.Join(dir, "pulumi"): script} {
		if err := os.WriteFile(name, []byte(data), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+"/bin"+string(os.PathListSeparator)+"/usr/bin")
	return argsFile
}

func TestTargetFromPulumiStack(t *testing.T) {
	w := newWorld(t)
	t.Setenv(envQueueURL, "")
	t.Setenv(envBucket, "")
	outputs := fmt.Sprintf(`{"queueUrl": %q, "bucketName": %q, "functionName": "video-fn", "deadLetterQueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/dlq"}`, w.queue, testBucket)
	argsFile := fakePulumi(t, outputs, "", 0)

	r := videoctl(t, "submit", "A lighthouse in a storm", "--stack", "dev")
	if r.code != exitOK {
		t.Fatalf("submit with the stack's outputs: exit %d, stderr %s", r.code, r.stderr)
	}
	args, _ := os.ReadFile(argsFile)
	if got := strings.TrimSpace(string(args)); got != "stack output --json --stack dev" {
		t.Errorf("pulumi ran with %q, want \"stack output --json --stack dev\"", got)
	}
	if msgs := w.sqs.Messages(w.queue); len(msgs) != 1 || msgs[0].MessageID != firstLine(r.stdout) {
		t.Errorf("the job did not reach the stack's queue: %+v", msgs)
	}
}

func TestTargetErrorsSayWhatToDo(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T)
		args  []string
		want  []string
	}{
		{
			name:  "no pulumi, no settings",
			setup: func(t *testing.T) { t.Setenv(envQueueURL, ""); t.Setenv(envBucket, "") },
			args:  []string{"submit", "a fox"},
			want:  []string{"--queue-url", envQueueURL, "install the Pulumi CLI"},
		},
		{
			name: "no stack selected",
			setup: func(t *testing.T) {
				t.Setenv(envBucket, "")
				fakePulumi(t, "", "error: no stack selected; please use `pulumi stack select` to choose one", 255)
			},
			args: []string{"list"},
			want: []string{"no stack selected", "pulumi up", "--stack NAME", "--bucket"},
		},
		{
			name: "stack not deployed",
			setup: func(t *testing.T) {
				t.Setenv(envQueueURL, "")
				fakePulumi(t, "{}", "", 0)
			},
			args: []string{"submit", "a fox", "--stack", "prod"},
			want: []string{`stack prod has no output "queueUrl"`, "run `pulumi up`"},
		},
		{
			name:  "not a queue URL",
			setup: func(t *testing.T) { t.Setenv(envQueueURL, "video-jobs") },
			args:  []string{"submit", "a fox"},
			want:  []string{`"video-jobs" is not a queue URL like https://sqs.`},
		},
		{
			name: "no credentials",
			setup: func(t *testing.T) {
				t.Setenv("AWS_ACCESS_KEY_ID", "")
				t.Setenv("AWS_SECRET_ACCESS_KEY", "")
			},
			args: []string{"watch", "0d4c9a8e-1111-4222-8333-944455566677"},
			want: []string{"no AWS credentials", "aws configure", "aws sso login"},
		},
		{
			name:  "no region",
			setup: func(t *testing.T) { t.Setenv("AWS_REGION", ""); t.Setenv("AWS_DEFAULT_REGION", "") },
			args:  []string{"get", "0d4c9a8e-1111-4222-8333-944455566677"},
			want:  []string{"no AWS region", "--region"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			tc.setup(t)
			r := videoctl(t, tc.args...)
			if r.code != exitFailed {
				t.Errorf("exit %d, want %d", r.code, exitFailed)
			}
			for _, want := range tc.want {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr %q does not say %q", r.stderr, want)
				}
			}
			if n := w.sqs.Calls(); n != 0 {
				t.Errorf("%d SQS calls, want none", n)
			}
		})
	}
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	w := newWorld(t)
	other := w.sqs.CreateQueue("other-jobs")
	r := videoctl(t, "submit", "a fox", "--queue-url", other)
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	if len(w.sqs.Messages(other)) != 1 || len(w.sqs.Messages(w.queue)) != 0 {
		t.Errorf("--queue-url did not override %s", envQueueURL)
	}
}

func TestQueueRegionComesFromItsURL(t *testing.T) {
	w := newWorld(t)
	// The bucket and Bedrock may live elsewhere than the queue; SQS must
	// be called (and signed) in the queue's own region.
	t.Setenv("AWS_REGION", "eu-west-1")
	r := videoctl(t, "submit", "a fox")
	if r.code != exitOK || len(w.sqs.Messages(w.queue)) != 1 {
		t.Errorf("submit with AWS_REGION other than the queue's: exit %d, stderr %s", r.code, r.stderr)
	}
}
