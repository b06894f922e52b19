import json, re, threading, hashlib
d = json.loads('{"a": [1, 2, {"b": null}]}')
print(json.dumps(d, sort_keys=True))
print(re.sub(r"(\w+)@(\w+)", r"\2 at \1", "joe@example and ann@test"))
results = []
lock = threading.Lock()
def work(i):
    h = hashlib.sha256(str(i).encode()).hexdigest()
    with lock:
        results.append((i, h[:12]))
ts = [threading.Thread(target=work, args=(i,)) for i in range(8)]
for t in ts: t.start()
for t in ts: t.join()
print(sorted(results))
print(hashlib.md5(b"osprey").hexdigest())
