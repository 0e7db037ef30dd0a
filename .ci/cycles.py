#!/usr/bin/env python3
"""Import cycles among src/ modules. Each file is a module (`web::error`, `services::team`); a
folder module's files fold into it (`services/team/*.rs` is `services::team`). An edge a -> b
means a file of a names `crate::b...` (in a `use` or a path) or `super::...` across modules.
Prints every strongly connected component with more than one module (none: no cycle)."""
import os, re, sys
root = sys.argv[1] if len(sys.argv) > 1 else 'src'
mods = {}
for dirpath, _, files in os.walk(root):
    for f in files:
        if not f.endswith('.rs'):
            continue
        path = os.path.join(dirpath, f)
        rel = os.path.relpath(path, root)[:-3].split(os.sep)
        if rel[-1] in ('mod', 'lib', 'main'):
            rel = rel[:-1]
        mods['::'.join(rel)] = path
names = set(mods)
def unit(m):
    # fold a file into its folder module when that folder is a module with more than one level
    parts = m.split('::')
    while parts and '::'.join(parts) not in names:
        parts.pop()
    return '::'.join(parts)
def resolve(path_parts):
    # longest module prefix of crate::a::b::c
    for i in range(len(path_parts), 0, -1):
        cand = '::'.join(path_parts[:i])
        if cand in names:
            return cand
    return None
# collapse: a module's unit is itself unless it is a child file inside a folder that is a unit
folders = {m for m, p in mods.items() if p.endswith('mod.rs')}
def owner(m):
    parts = m.split('::')
    for i in range(1, len(parts)):
        cand = '::'.join(parts[:i])
        if cand in folders and cand.count('::') >= 1:
            return cand
    return m
edges = {}
use_re = re.compile(r'\bcrate::((?:[a-z_][a-z0-9_]*::)*[a-z_][a-z0-9_]*)')
for m, path in mods.items():
    src = open(path).read()
    src = re.sub(r'//[^\n]*', '', src)
    a = owner(m)
    for hit in use_re.findall(src):
        target = resolve(hit.split('::'))
        if target is None:
            continue
        b = owner(target)
        if b != a and not b.startswith(a + '::') and not a.startswith(b + '::'):
            edges.setdefault(a, set()).add(b)
    # crate::x::{a, b} groups
    for group in re.findall(r'\bcrate::((?:[a-z_][a-z0-9_]*::)*)\{([^}]*)\}', src):
        prefix, inner = group
        for item in re.split(r'[,\s]+', inner):
            item = item.split('::')[0].strip()
            if not item or not item[0].islower():
                continue
            target = resolve((prefix + item).rstrip(':').split('::'))
            if target is None:
                continue
            b = owner(target)
            if b != a and not b.startswith(a + '::') and not a.startswith(b + '::'):
                edges.setdefault(a, set()).add(b)
# Tarjan
index = {}; low = {}; stack = []; on = set(); sccs = []; counter = [0]
sys.setrecursionlimit(10000)
def strong(v):
    index[v] = low[v] = counter[0]; counter[0] += 1
    stack.append(v); on.add(v)
    for w in edges.get(v, ()):
        if w not in index:
            strong(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v: break
        sccs.append(comp)
units = {owner(m) for m in mods}
for v in sorted(units):
    if v not in index:
        strong(v)
bad = [c for c in sccs if len(c) > 1]
print(f"{len(units)} modules, {sum(len(v) for v in edges.values())} edges")
for c in bad:
    print("cycle:", " <-> ".join(sorted(c)))
    for a in sorted(c):
        print("   ", a, "->", sorted(b for b in edges.get(a, ()) if b in c))
sys.exit(1 if bad else 0)
