from runwire import hookimpl


@hookimpl
def runwire_register_tool(register):  # missing the final 's'
    register(print)
