// Command replayfloor is the floor of durabletest's process-level replay
// benchmark: a hand-written function that makes only the calls a replay
// invocation of the replay command's history needs, with nothing but
// net/http and encoding/json. It polls the Lambda Runtime API, reads every
// page of the execution state (the payload's first page, then
// GetDurableExecutionState with the marker), counts the succeeded steps,
// checks that the wait finished, and answers SUCCEEDED with the count.
//
// It is not a durable runtime: it does not sign requests, replay a handler,
// or checkpoint. It only shows how fast the same exchange can be.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"strconv"
)

type operation struct {
	Id     string
	Type   string
	Status string
}

type state struct {
	Operations []operation
	NextMarker string
}

type payload struct {
	DurableExecutionArn   string
	CheckpointToken       string
	InitialExecutionState state
}

func main() {
	runtime := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/invocation/"
	endpoint := os.Getenv("AWS_ENDPOINT_URL_LAMBDA") + "/2025-12-01/durable-executions/"
	for {
		resp, err := http.Get(runtime + "next")
		if err != nil {
			log.Fatal(err)
		}
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		var in payload
		err = json.NewDecoder(resp.Body).Decode(&in)
		resp.Body.Close()
		if err != nil {
			log.Fatal(err)
		}
		out, err := replay(endpoint, in)
		if err != nil {
			log.Fatal(err)
		}
		resp, err = http.Post(runtime+id+"/response", "application/json", bytes.NewReader(out))
		if err != nil {
			log.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func replay(endpoint string, in payload) ([]byte, error) {
	steps, waited := 0, false
	count := func(ops []operation) {
		for _, op := range ops {
			switch {
			case op.Type == "STEP" && op.Status == "SUCCEEDED":
				steps++
			case op.Type == "WAIT" && op.Status == "SUCCEEDED":
				waited = true
			}
		}
	}
	count(in.InitialExecutionState.Operations)
	for marker := in.InitialExecutionState.NextMarker; marker != ""; {
		q := url.Values{"CheckpointToken": {in.CheckpointToken}, "Marker": {marker}, "MaxItems": {"1000"}}
		resp, err := http.Get(endpoint + url.PathEscape(in.DurableExecutionArn) + "/state?" + q.Encode())
		if err != nil {
			return nil, err
		}
		var page state
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		count(page.Operations)
		marker = page.NextMarker
	}
	if !waited {
		return nil, fmt.Errorf("the wait has not finished")
	}
	return json.Marshal(map[string]string{"Status": "SUCCEEDED", "Result": strconv.Itoa(steps)})
}
