package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/rastrohq/rastro/collector/sink"
	"github.com/rastrohq/rastro/collector/sink/kafkasink"
	"github.com/rastrohq/rastro/collector/sink/natssink"
)

// sinksConfig is the sinks: section of the config file. Each sink set
// receives every new trace, at least once, through the store's outbox.
//
//	sinks:
//	  max_backlog: 1000000     # traces queued for one sink before ingest answers 503
//	  batch: 500               # traces per publish
//	  lease: 1m                # a batch claimed by a collector that died is sent again after this
//	  publish_timeout: 30s
//	  nats:
//	    urls: [nats://127.0.0.1:4222]
//	    stream: RASTRO_TRACES
//	    subject_prefix: rastro.traces   # subjects <prefix>.<kind>.<touchpoint>
//	    create_stream: true
//	    duplicates: 2m                  # JetStream duplicate window of a created stream
//	    mode: structured                # or binary (CloudEvents content mode)
//	    token: s3cret                   # or user/password, or creds_file
//	  kafka:
//	    brokers: [127.0.0.1:9092]
//	    topic: rastro.traces
//	    key: touchpoint                 # or user
//	    mode: binary
type sinksConfig struct {
	MaxBacklog int64 `yaml:"max_backlog"`
	// The forwarders: traces per batch (500), how long a claimed batch
	// stays leased to one collector (1m) and the bound of one publish
	// (30s, shorter than the lease).
	Batch          int      `yaml:"batch"`
	Lease          duration `yaml:"lease"`
	PublishTimeout duration `yaml:"publish_timeout"`
	NATS           *struct {
		URLs          []string `yaml:"urls"`
		Stream        string   `yaml:"stream"`
		SubjectPrefix string   `yaml:"subject_prefix"`
		CreateStream  bool     `yaml:"create_stream"`
		Duplicates    duration `yaml:"duplicates"`
		Replicas      int      `yaml:"replicas"`
		Mode          string   `yaml:"mode"`
		Token         string   `yaml:"token"`
		User          string   `yaml:"user"`
		Password      string   `yaml:"password"`
		CredsFile     string   `yaml:"creds_file"`
	} `yaml:"nats"`
	Kafka *struct {
		Brokers  []string `yaml:"brokers"`
		Topic    string   `yaml:"topic"`
		Key      string   `yaml:"key"`
		Mode     string   `yaml:"mode"`
		ClientID string   `yaml:"client_id"`
	} `yaml:"kafka"`
}

// openSinks connects the sinks of the config file and of the -nats and
// -kafka flags (which replace the file's servers). Neither connection
// needs its server up: a sink that is down only queues traces.
func openSinks(c sinksConfig, natsFlag, kafkaFlag string, log *slog.Logger) ([]sink.Sink, error) {
	var out []sink.Sink
	fail := func(err error) ([]sink.Sink, error) {
		for _, s := range out {
			_ = s.Close()
		}
		return nil, err
	}
	if c.NATS != nil || natsFlag != "" {
		var nc natssink.Config
		if n := c.NATS; n != nil {
			mode, err := sink.ParseMode(n.Mode)
			if err != nil {
				return fail(fmt.Errorf("config: sinks.nats.mode: %w", err))
			}
			nc = natssink.Config{URLs: n.URLs, Stream: n.Stream, SubjectPrefix: n.SubjectPrefix,
				CreateStream: n.CreateStream, Duplicates: time.Duration(n.Duplicates), Replicas: n.Replicas,
				Mode: mode, Token: n.Token, User: n.User, Password: n.Password, CredsFile: n.CredsFile}
		} else {
			nc.CreateStream = true // the quick start
		}
		if natsFlag != "" {
			nc.URLs = strings.Split(natsFlag, ",")
		}
		nc.Logger = log
		s, err := natssink.New(nc)
		if err != nil {
			return fail(err)
		}
		out = append(out, s)
	}
	if c.Kafka != nil || kafkaFlag != "" {
		var kc kafkasink.Config
		if k := c.Kafka; k != nil {
			mode, err := sink.ParseMode(k.Mode)
			if err != nil {
				return fail(fmt.Errorf("config: sinks.kafka.mode: %w", err))
			}
			kc = kafkasink.Config{Brokers: k.Brokers, Topic: k.Topic, Key: kafkasink.Key(k.Key), Mode: mode, ClientID: k.ClientID}
		}
		if kafkaFlag != "" {
			kc.Brokers = strings.Split(kafkaFlag, ",")
		}
		if len(kc.Brokers) == 0 {
			return fail(errors.New("config: sinks.kafka.brokers: name at least one broker"))
		}
		s, err := kafkasink.New(kc)
		if err != nil {
			return fail(err)
		}
		out = append(out, s)
	}
	return out, nil
}

func sinkNames(sinks []sink.Sink) []string {
	names := make([]string, len(sinks))
	for i, s := range sinks {
		names[i] = s.Name()
	}
	return names
}
