raise ImportError("this plugin needs libfoo, which is not installed")
