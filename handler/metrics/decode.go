package metrics

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Limits of the EMF specification ("Specification: Embedded metric
// format", Amazon CloudWatch user guide) that Decode enforces.
const (
	maxMetricsPerDirective = 100
	maxDimensionsPerSet    = 30
	maxNamespaceLength     = 1024
)

// units are the units CloudWatch accepts (Amazon CloudWatch API reference,
// MetricDatum: Unit).
var units = map[Unit]bool{
	"Seconds": true, "Microseconds": true, "Milliseconds": true, "Bytes": true, "Kilobytes": true,
	"Megabytes": true, "Gigabytes": true, "Terabytes": true, "Bits": true, "Kilobits": true,
	"Megabits": true, "Gigabits": true, "Terabits": true, "Percent": true, "Count": true,
	"Bytes/Second": true, "Kilobytes/Second": true, "Megabytes/Second": true, "Gigabytes/Second": true,
	"Terabytes/Second": true, "Bits/Second": true, "Kilobits/Second": true, "Megabits/Second": true,
	"Gigabits/Second": true, "Terabits/Second": true, "Count/Second": true, "None": true,
}

// Document is one decoded EMF document (of one directive).
type Document struct {
	Timestamp  time.Time
	Namespace  string
	Dimensions [][]string
	// Values are the metric values by name; Units their units.
	Values map[string]float64
	Units  map[string]Unit
	// Root holds every root member, dimension values and other
	// properties included.
	Root map[string]any
}

// Decode parses one log line as an EMF document and checks it against the
// specification the way CloudWatch Logs would before extracting metrics:
// it reports (false, nil) for a line that is not EMF (no "_aws" member)
// and an error for one that is but breaks a rule.
func Decode(line []byte) ([]Document, bool, error) {
	var root map[string]json.RawMessage
	if err := json.Unmarshal(line, &root); err != nil {
		return nil, false, nil
	}
	rawAWS, ok := root["_aws"]
	if !ok {
		return nil, false, nil
	}
	var meta struct {
		Timestamp         *float64           `json:"Timestamp"`
		CloudWatchMetrics *[]json.RawMessage `json:"CloudWatchMetrics"`
	}
	if err := json.Unmarshal(rawAWS, &meta); err != nil {
		return nil, true, fmt.Errorf("_aws is not an object: %w", err)
	}
	if meta.Timestamp == nil {
		return nil, true, errors.New("_aws.Timestamp is required")
	}
	if meta.CloudWatchMetrics == nil {
		return nil, true, errors.New("_aws.CloudWatchMetrics is required")
	}
	all := map[string]any{}
	if err := json.Unmarshal(line, &all); err != nil {
		return nil, true, err
	}
	ts := time.UnixMilli(int64(*meta.Timestamp)).UTC()
	var docs []Document
	for i, raw := range *meta.CloudWatchMetrics {
		var d struct {
			Namespace  string       `json:"Namespace"`
			Dimensions [][]string   `json:"Dimensions"`
			Metrics    []definition `json:"Metrics"`
		}
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, true, fmt.Errorf("CloudWatchMetrics[%d]: %w", i, err)
		}
		doc := Document{Timestamp: ts, Namespace: d.Namespace, Dimensions: d.Dimensions,
			Values: map[string]float64{}, Units: map[string]Unit{}, Root: all}
		if d.Namespace == "" || len(d.Namespace) > maxNamespaceLength {
			return nil, true, fmt.Errorf("CloudWatchMetrics[%d].Namespace must be 1–%d characters, got %q", i, maxNamespaceLength, d.Namespace)
		}
		if d.Dimensions == nil {
			return nil, true, fmt.Errorf("CloudWatchMetrics[%d].Dimensions is required", i)
		}
		for _, set := range d.Dimensions {
			if len(set) > maxDimensionsPerSet {
				return nil, true, fmt.Errorf("CloudWatchMetrics[%d]: a dimension set has %d dimensions, at most %d", i, len(set), maxDimensionsPerSet)
			}
			for _, name := range set {
				if v, ok := all[name].(string); !ok || v == "" {
					return nil, true, fmt.Errorf("CloudWatchMetrics[%d]: dimension %q has no string value in the root", i, name)
				}
			}
		}
		if len(d.Metrics) == 0 || len(d.Metrics) > maxMetricsPerDirective {
			return nil, true, fmt.Errorf("CloudWatchMetrics[%d] has %d metrics, want 1–%d", i, len(d.Metrics), maxMetricsPerDirective)
		}
		for _, m := range d.Metrics {
			v, ok := all[m.Name].(float64)
			if !ok {
				return nil, true, fmt.Errorf("CloudWatchMetrics[%d]: metric %q has no numeric value in the root", i, m.Name)
			}
			if m.Unit != "" && !units[m.Unit] {
				return nil, true, fmt.Errorf("CloudWatchMetrics[%d]: metric %q has unit %q, which CloudWatch does not know", i, m.Name, m.Unit)
			}
			doc.Values[m.Name], doc.Units[m.Name] = v, m.Unit
		}
		docs = append(docs, doc)
	}
	return docs, true, nil
}

// DecodeLog decodes every EMF document in a log of JSON lines and fails on
// the first invalid one.
func DecodeLog(log []byte) ([]Document, error) {
	var docs []Document
	sc := bufio.NewScanner(bytes.NewReader(log))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		ds, ok, err := Decode(sc.Bytes())
		if err != nil {
			return nil, fmt.Errorf("log line %d: %w", n, err)
		}
		if ok {
			docs = append(docs, ds...)
		}
	}
	return docs, sc.Err()
}
