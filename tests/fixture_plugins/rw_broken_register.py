from runwire import hookimpl


@hookimpl
def runwire_register_tools(register):
    raise RuntimeError("registration blew up")
