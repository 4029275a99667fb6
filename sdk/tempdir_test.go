package sdk_test

import "os"

func tempDir() (string, error) { return os.MkdirTemp("", "rastro-outbox-example-") }
