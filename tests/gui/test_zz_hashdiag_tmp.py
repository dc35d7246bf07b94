import json, subprocess, sys
from test_gui_compare_panel import *  # noqa

def test_h(qtbot, weights_dir):
    from inference.mef_store import MefStore
    s = MefStore()
    a = str(s._specs('rsmt_phase', json.dumps(s.presets('rsmt_phase')['lite'], sort_keys=True)).graph)
    b = subprocess.run([sys.executable, "-c", "import json\nfrom inference.mef_store import MefStore\ns=MefStore()\nprint(str(s._specs('rsmt_phase', json.dumps(s.presets('rsmt_phase')['lite'], sort_keys=True)).graph))"], capture_output=True, text=True).stdout
    import difflib
    print("SAME", a.strip() == b.strip())
    for l in list(difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm=''))[:12]: print(l[:300])
