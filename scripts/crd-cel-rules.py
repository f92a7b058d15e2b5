#!/usr/bin/env python3
"""Evaluates a CRD's CEL validation rules (`x-kubernetes-validations`) on one object, as the
Kubernetes API server does on create, with the cel-python evaluator (PyPI `cel-python`).

Usage: crd-cel-rules CRD.yaml < object.json
Reads the object (JSON or YAML) on stdin, finds the CRD version of its apiVersion, walks the
schema beside the object and evaluates every rule whose node is present in the object. Rules
that compare with `oldSelf` (transition rules) only apply to updates and are skipped.
Prints `<path>: <message>` for each rule that does not hold and exits 1; exits 0 when all hold.
The last line on stderr is `rules evaluated: N`.
"""
import json
import sys

import celpy
import yaml


def walk(schema, value, path, failures, counter, env):
    if not isinstance(schema, dict) or value is None:
        return
    for rule in schema.get("x-kubernetes-validations", []):
        text = rule["rule"]
        if "oldSelf" in text:
            continue
        counter[0] += 1
        program = env.program(env.compile(text))
        try:
            result = program.evaluate({"self": celpy.json_to_cel(value)})
        except celpy.CELEvalError as error:
            failures.append(f"{path or '/'}: rule {text!r} did not evaluate: {error}")
            continue
        if isinstance(result, celpy.CELEvalError) or not bool(result):
            failures.append(f"{path or '/'}: {rule.get('message', text)}")
    if isinstance(value, dict):
        for key, child in value.items():
            if key in schema.get("properties", {}):
                walk(schema["properties"][key], child, f"{path}/{key}", failures, counter, env)
            elif isinstance(schema.get("additionalProperties"), dict):
                walk(schema["additionalProperties"], child, f"{path}/{key}", failures, counter, env)
    elif isinstance(value, list) and "items" in schema:
        for index, child in enumerate(value):
            walk(schema["items"], child, f"{path}/{index}", failures, counter, env)


def main():
    crd = yaml.safe_load(open(sys.argv[1]))
    obj = yaml.safe_load(sys.stdin.read())
    version = obj["apiVersion"].split("/")[-1]
    schema = next(v for v in crd["spec"]["versions"] if v["name"] == version)["schema"]["openAPIV3Schema"]
    failures, counter = [], [0]
    walk(schema, obj, "", failures, counter, celpy.Environment())
    for failure in failures:
        print(failure)
    print(f"rules evaluated: {counter[0]}", file=sys.stderr)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
