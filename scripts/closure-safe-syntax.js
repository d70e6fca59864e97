"use strict";
// ts-closure-transform 0.1.8 miscompiles four ordinary constructs:
//   1. `const [a, b] = xs` keeps only the first binding (`b` becomes an undefined global);
//   2. `{ x }` (shorthand property) of a `let` a closure captures yields the box it keeps `x` in;
//   3. a closure reading an `export const X` of its own module: TypeScript's CommonJS output reads
//      `exports.X` in the body, but the __closure captures only `X`, so once rebuilt the body reads
//      an `exports` that is not its module's: undefined. (Fixed after emit: see capturedExports.)
//   4. `for (let i = 0; …; i++) { … () => i … }`: the loop variable a closure captures is boxed, and
//      the box's declaration is dropped from the loop's initializer (a ReferenceError at run time).
// This transformer runs just before it and rewrites both into forms it handles:
//   1. `const [a, b] = xs`  →  `const __array_1 = [...xs], a = __array_1[0], b = __array_1[1]`
//      (rest elements become `.slice(i)`, defaults `=== undefined ? d : v`, nested patterns are kept
//      as patterns on the element, which the same rewrite then reaches);
//   2. `{ x }`              →  `{ x: x }`.
const ts = require("typescript");

function closureSafeSyntax() {
  return (context) => {
    const f = context.factory;
    let counter = 0;
    const visit = (node) => {
      if (ts.isForStatement(node)) {
        const rewritten = perIterationCopy(node, f);
        if (rewritten !== node) return ts.visitEachChild(rewritten, visit, context);
      }
      if (ts.isShorthandPropertyAssignment(node) && node.objectAssignmentInitializer === undefined) {
        return f.createPropertyAssignment(node.name, f.createIdentifier(node.name.text));
      }
      if (ts.isVariableDeclarationList(node) && node.declarations.some((d) => ts.isArrayBindingPattern(d.name) && d.initializer)) {
        const declarations = [];
        for (const d of node.declarations) {
          if (ts.isArrayBindingPattern(d.name) && d.initializer) lowerArrayPattern(d.name, ts.visitNode(d.initializer, visit), declarations);
          else declarations.push(ts.visitEachChild(d, visit, context));
        }
        return f.updateVariableDeclarationList(node, declarations.map((d) => ts.visitEachChild(d, visit, context)));
      }
      return ts.visitEachChild(node, visit, context);
    };
    const lowerArrayPattern = (pattern, initializer, out) => {
      const temp = f.createUniqueName("__array");
      out.push(f.createVariableDeclaration(temp, undefined, undefined, f.createArrayLiteralExpression([f.createSpreadElement(initializer)])));
      pattern.elements.forEach((element, index) => {
        if (ts.isOmittedExpression(element)) return;
        let value = element.dotDotDotToken
          ? f.createCallExpression(f.createPropertyAccessExpression(temp, "slice"), undefined, [f.createNumericLiteral(index)])
          : f.createElementAccessExpression(temp, index);
        if (element.initializer) {
          const slot = f.createUniqueName("__element");
          out.push(f.createVariableDeclaration(slot, undefined, undefined, value));
          value = f.createConditionalExpression(
            f.createStrictEquality(slot, f.createVoidZero()), undefined, element.initializer, undefined, slot);
        }
        if (ts.isArrayBindingPattern(element.name)) lowerArrayPattern(element.name, value, out);
        else out.push(f.createVariableDeclaration(element.name, undefined, undefined, value));
      });
    };
    return (sourceFile) => ts.visitNode(sourceFile, visit);
  };
}

/**
 * Runs after ts-closure-transform: every `f.__closure` that captures an exported variable `X` (which
 * the body will read as `exports.X`) also captures `exports` itself, so it resolves once rebuilt. A module
 * registered with requireForSerialization has its exports serialized by reference.
 */
function capturedExports() {
  return (context) => {
    const f = context.factory;
    let exported = new Set();
    // TypeScript turns `X` into `exports.X` only when printing, so here captures still read `X: X`.
    const readsExports = (p) =>
      (ts.isShorthandPropertyAssignment(p) && exported.has(p.name.text)) ||
      (ts.isPropertyAssignment(p) && ts.isIdentifier(p.initializer) && exported.has(p.initializer.text));
    const visit = (node) => {
      node = ts.visitEachChild(node, visit, context);
      if (
        ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
        ts.isPropertyAccessExpression(node.left) && node.left.name.text === "__closure" &&
        ts.isArrowFunction(node.right) && ts.isObjectLiteralExpression(ts.skipPartiallyEmittedExpressions(unparenthesized(node.right.body)))
      ) {
        const captured = unparenthesized(node.right.body);
        const names = captured.properties.map((p) => p.name && ts.isIdentifier(p.name) ? p.name.text : undefined);
        if (captured.properties.some(readsExports) && !names.includes("exports")) {
          const withExports = f.updateObjectLiteralExpression(captured, [
            ...captured.properties,
            f.createPropertyAssignment("exports", f.createIdentifier("exports")),
          ]);
          return f.updateBinaryExpression(node, node.left, node.operatorToken,
            f.updateArrowFunction(node.right, node.right.modifiers, node.right.typeParameters, node.right.parameters,
              node.right.type, node.right.equalsGreaterThanToken, f.createParenthesizedExpression(withExports)));
        }
      }
      return node;
    };
    return (sourceFile) => {
      exported = exportedVariables(ts.getOriginalNode(sourceFile));
      return exported.size === 0 ? sourceFile : ts.visitNode(sourceFile, visit);
    };
  };
}

/**
 * `for (let i …)` whose body has a closure mentioning `i` and never assigns `i`: loop on a renamed
 * variable and bind `const i` to it at the top of each iteration. Anything else is left as it is.
 */
function perIterationCopy(loop, f) {
  const init = loop.initializer;
  if (!init || !ts.isVariableDeclarationList(init) || !(init.flags & ts.NodeFlags.Let)) return loop;
  const names = init.declarations.filter((d) => ts.isIdentifier(d.name)).map((d) => d.name.text);
  if (names.length !== init.declarations.length) return loop;
  const captured = names.filter((name) => closureMentions(loop.statement, name) && !assigns(loop.statement, name));
  if (captured.length === 0 || captured.length !== names.length) return loop;
  const renamed = new Map(names.map((name) => [name, f.createUniqueName(`${name}__loop`)]));
  // Renames references only: never a property name (`it.next`, `{ next: … }`).
  const rename = (node) => {
    if (ts.isIdentifier(node) && renamed.has(node.text)) return renamed.get(node.text);
    if (ts.isPropertyAccessExpression(node)) return f.updatePropertyAccessExpression(node, rename(node.expression), node.name);
    if (ts.isPropertyAssignment(node)) return f.updatePropertyAssignment(node, node.name, rename(node.initializer));
    return ts.visitEachChild(node, rename, nullContext);
  };
  const declarations = init.declarations.map((d) => f.updateVariableDeclaration(d, renamed.get(d.name.text), d.exclamationToken, d.type, d.initializer));
  const copies = f.createVariableStatement(undefined, f.createVariableDeclarationList(
    names.map((name) => f.createVariableDeclaration(name, undefined, undefined, renamed.get(name))), ts.NodeFlags.Const));
  const body = ts.isBlock(loop.statement) ? [...loop.statement.statements] : [loop.statement];
  return f.updateForStatement(
    loop,
    f.updateVariableDeclarationList(init, declarations),
    loop.condition && rename(loop.condition),
    loop.incrementor && rename(loop.incrementor),
    f.createBlock([copies, ...body], true),
  );
}

const nullContext = ts.nullTransformationContext;

function closureMentions(node, name) {
  let found = false;
  const inFunction = (n, inside) => {
    if (found) return;
    const isFunction = ts.isArrowFunction(n) || ts.isFunctionExpression(n) || ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n);
    if (inside && ts.isIdentifier(n) && n.text === name) found = true;
    ts.forEachChild(n, (c) => inFunction(c, inside || isFunction));
  };
  inFunction(node, false);
  return found;
}

function assigns(node, name) {
  let found = false;
  const visit = (n) => {
    if (found) return;
    const target =
      ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment
        ? n.left
        : (ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) &&
            (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken)
          ? n.operand
          : undefined;
    if (target && ts.isIdentifier(target) && target.text === name) found = true;
    ts.forEachChild(n, visit);
  };
  visit(node);
  return found;
}

function unparenthesized(node) {
  return ts.isParenthesizedExpression(node) ? unparenthesized(node.expression) : node;
}

/** Names of the variables a module exports by `export const|let|var`. */
function exportedVariables(sourceFile) {
  const names = new Set();
  const collect = (name) => {
    if (ts.isIdentifier(name)) names.add(name.text);
    else for (const e of name.elements) if (!ts.isOmittedExpression(e)) collect(e.name);
  };
  for (const statement of sourceFile.statements) {
    const exportedStatement = ts.isVariableStatement(statement) &&
      (ts.getModifiers(statement) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    if (exportedStatement) for (const d of statement.declarationList.declarations) collect(d.name);
  }
  return names;
}

module.exports = { closureSafeSyntax, capturedExports };
