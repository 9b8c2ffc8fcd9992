"""Run the sign-in gate on your own machine: a CloudFront stand-in, local identity providers
and a launcher that wires them together. Nothing here ships in the edge zip."""
