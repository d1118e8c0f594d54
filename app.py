"""Run the rmstudio web app: `python app.py [--host H] [--port P] [--auth USER:PASS ...] [--home DIR]`.

The same app as `python -m rmstudio serve`; this file is the entry point Hugging Face Spaces runs.
"""

import argparse

from rmstudio.ui.app import serve

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", help="data directory (default: $RMSTUDIO_HOME, /data/rmstudio on Spaces, ./rmstudio_data)")
    parser.add_argument("--host", help="interface to listen on (default 127.0.0.1; 0.0.0.0 on Spaces)")
    parser.add_argument("--port", type=int, help="port (default 7860 or $GRADIO_SERVER_PORT)")
    parser.add_argument("--auth", action="append", metavar="USER:PASS", help="require login (repeat for several users)")
    args = parser.parse_args()
    serve(home=args.home, host=args.host, port=args.port, auth=args.auth)
