package plugin

// TestPlugin builds a test plugin, for package plugin_test, whose tests run
// whole collectors.
var TestPlugin = testPlugin
