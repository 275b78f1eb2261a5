pytest_plugins = ["jaxnc.testing.plugin"]
