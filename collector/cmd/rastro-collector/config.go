package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/rastrohq/rastro/collector/ingest"
	"github.com/rastrohq/rastro/collector/insights"
	"github.com/rastrohq/rastro/collector/plugin"
)

// fileConfig is the YAML config file (-config). Flags override it.
//
//	addr: 127.0.0.1:4380
//	data: /var/lib/rastro
//	retention: 8760h        # keep a year; 0 or absent keeps forever
//	sync: full              # full (default) or normal
//	store:
//	  postgres: postgres://rastro:secret@db.internal:5432/rastro  # a shared store instead of data
//	write_keys:
//	  - key: wk_live_3f9a
//	    name: website        # the trace source
//	    origins: [https://shop.example]
//	    rate: 2000           # events/s; -1 unlimited; default 10000
//	    burst: 4000
//	read_keys: [rk_cx_team]
//	limits:
//	  max_batch_bytes: 524288
//	  max_batch_events: 500
//	  max_event_bytes: 16384
//	  max_text_bytes: 4096
//	  max_in_flight_bytes: 67108864
//	tls: {cert: cert.pem, key: key.pem}
//	widget_dir: wasm/dist
//	sinks:                   # see sinksConfig
//	  nats: {urls: [nats://127.0.0.1:4222], create_stream: true}
//	plugins:                 # WebAssembly plugins; see go doc ./collector/plugin
//	  - name: zendesk-csat   # answers POST /v1/sources/zendesk-csat
//	    path: plugins/zendesk-csat.wasm   # relative to this file
//	    kind: source         # source, or enrich (patches every trace before it is stored)
//	    memory_mib: 16       # per instance; default 16
//	    timeout: 100ms       # per record; default 100ms
//	alerts:
//	  webhook: https://hooks.slack.com/services/T000/B000/XXXX
//	  slack: true            # post {"text": ...}; false posts the JSON payload
//	  interval: 1m           # how often the rules are evaluated
//	  rules:
//	    - name: checkout-csat
//	      kind: below        # CSAT % (metric: csat) or mean score (metric: score) of the last N traces
//	      touchpoint: checkout
//	      metric: csat
//	      last: 50
//	      below: 70
//	    - name: negative-burst
//	      kind: negatives    # count or more negative traces within the window
//	      count: 10
//	      within: 5m
type fileConfig struct {
	Addr      string            `yaml:"addr"`
	Data      string            `yaml:"data"`
	Retention duration          `yaml:"retention"`
	Sync      string            `yaml:"sync"`
	WriteKeys []ingest.WriteKey `yaml:"write_keys"`
	ReadKeys  []string          `yaml:"read_keys"`
	Limits    struct {
		MaxBatchBytes    int   `yaml:"max_batch_bytes"`
		MaxBatchEvents   int   `yaml:"max_batch_events"`
		MaxEventBytes    int   `yaml:"max_event_bytes"`
		MaxTextBytes     int   `yaml:"max_text_bytes"`
		MaxInFlightBytes int64 `yaml:"max_in_flight_bytes"`
	} `yaml:"limits"`
	TLS struct {
		Cert string `yaml:"cert"`
		Key  string `yaml:"key"`
	} `yaml:"tls"`
	WidgetDir string `yaml:"widget_dir"`
	Alerts    struct {
		Webhook  string          `yaml:"webhook"`
		Slack    bool            `yaml:"slack"`
		Interval duration        `yaml:"interval"`
		Rules    []insights.Rule `yaml:"rules"`
	} `yaml:"alerts"`
	Store struct {
		// Postgres is the URL of a PostgreSQL database shared by several
		// collectors; when set, data and sync are unused.
		Postgres string `yaml:"postgres"`
	} `yaml:"store"`
	// Sinks hand every trace on to NATS JetStream or Kafka; see sinksConfig.
	Sinks sinksConfig `yaml:"sinks"`
	// Plugins are the WebAssembly plugins to load; see plugin.Config.
	Plugins []plugin.Config `yaml:"plugins"`
}

// duration reads "720h" style durations from YAML.
type duration time.Duration

func (d *duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Value == "0" {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration such as 720h", n.Line, n.Value)
	}
	*d = duration(v)
	return nil
}

func loadConfig(path string) (*fileConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var c fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	// A plugin's path is relative to the config file, as a reader of the
	// file expects, not to wherever the collector was started.
	for i := range c.Plugins {
		if p := c.Plugins[i].Path; p != "" && !filepath.IsAbs(p) {
			c.Plugins[i].Path = filepath.Join(filepath.Dir(path), p)
		}
	}
	return &c, nil
}
