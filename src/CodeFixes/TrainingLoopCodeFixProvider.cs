using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DslNet.CodeFixes
{
    /// <summary>
    /// Fixes for the training-loop diagnostics:
    /// DSL1001 moves a per-batch schedule's Step() into the batch loop, after the optimizer's step;
    /// DSL1005 moves the scheduler's Step() after the optimizer's;
    /// DSL2001 replaces Adam with AdamW;
    /// DSL2003 moves (or inserts) the scaler's Unscale(optimizer) in front of the clip;
    /// DSL1002 counts an epoch horizon in optimizer steps (<c>epochs</c> → <c>epochs * train.BatchesPerEpoch(64)</c>);
    /// DSL2005 moves a ZeroGrad that sits between TrainStep and Step after the step;
    /// DSL3001 turns the Trainer's <c>LossScaling = false</c> on for an fp16 model;
    /// DSL1004 moves a schedule stepped per micro-batch next to the optimizer's step (once per optimizer step);
    /// DSL1006 builds a schedule made on the wrong optimizer on the one that is stepped with no schedule.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(TrainingLoopCodeFixProvider)), Shared]
    public sealed class TrainingLoopCodeFixProvider : CodeFixProvider
    {
        public const string MoveScheduleIntoBatchLoop = "DSL1001", MoveSchedulerAfterOptimizer = "DSL1005",
            UseAdamW = "DSL2001", UnscaleBeforeClip = "DSL2003", HorizonInSteps = "DSL1002", ZeroGradAfterStep = "DSL2005",
            TurnOnLossScaling = "DSL3001", ScheduleWithOptimizerStep = "DSL1004", ScheduleOnOtherOptimizer = "DSL1006";

        // Must match DslNet.Generator.Analyzers.HorizonRules and TrainerRules.
        private const string ReplacementKey = "Replacement", FixLossScaling = "LossScaling";

        // Must match DslNet.Generator.Analyzers.OptimizerRules.
        private const string FixKey = "Fix", FixMove = "MoveUnscale", FixInsert = "InsertUnscale", ScalerKey = "Scaler", OptimizerKey = "Optimizer";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } =
            ImmutableArray.Create(MoveScheduleIntoBatchLoop, MoveSchedulerAfterOptimizer, UseAdamW, UnscaleBeforeClip,
                HorizonInSteps, ZeroGradAfterStep, TurnOnLossScaling, ScheduleWithOptimizerStep, ScheduleOnOtherOptimizer);

        public override FixAllProvider? GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null) return;
            foreach (var diagnostic in context.Diagnostics)
            {
                var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
                switch (diagnostic.Id)
                {
                    case MoveScheduleIntoBatchLoop:
                    case MoveSchedulerAfterOptimizer:
                    case ScheduleWithOptimizerStep:
                        RegisterMoveAfter(context, root, diagnostic, node);
                        break;
                    case ScheduleOnOtherOptimizer:
                        RegisterOtherOptimizer(context, root, diagnostic);
                        break;
                    case UseAdamW:
                        RegisterAdamW(context, root, diagnostic, node);
                        break;
                    case UnscaleBeforeClip:
                        RegisterUnscale(context, root, diagnostic, node);
                        break;
                    case HorizonInSteps:
                        RegisterHorizon(context, root, diagnostic, node);
                        break;
                    case ZeroGradAfterStep:
                        RegisterZeroGradAfterStep(context, root, diagnostic, node);
                        break;
                    case TurnOnLossScaling:
                        RegisterLossScaling(context, root, diagnostic, node);
                        break;
                }
            }
        }

        // ---------------------------------------------------------------- DSL1001, DSL1005

        private static void RegisterMoveAfter(CodeFixContext context, SyntaxNode root, Diagnostic diagnostic, SyntaxNode node)
        {
            if (diagnostic.AdditionalLocations.Count == 0) return;
            var moved = StatementInBlock(node);
            var anchor = StatementInBlock(root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true));
            if (moved is not ExpressionStatementSyntax || anchor is null || moved == anchor || anchor.Ancestors().Contains(moved)) return;
            // A statement reached through a helper is not moved into another method: its names may not exist there.
            if (EnclosingBody(moved) != EnclosingBody(anchor)) return;

            var title = diagnostic.Id switch
            {
                MoveScheduleIntoBatchLoop => "Step the schedule in the batch loop, after the optimizer",
                ScheduleWithOptimizerStep => "Step the schedule with the optimizer, once per optimizer step",
                _ => "Step the schedule after the optimizer",
            };
            context.RegisterCodeFix(CodeAction.Create(title,
                ct => Task.FromResult(context.Document.WithSyntaxRoot(MoveAfter(root, moved, anchor))),
                equivalenceKey: diagnostic.Id), diagnostic);
        }

        /// <summary>Removes <paramref name="moved"/> and inserts it after <paramref name="anchor"/>, indented like the anchor.</summary>
        private static SyntaxNode MoveAfter(SyntaxNode root, StatementSyntax moved, StatementSyntax anchor)
        {
            var tracked = root.TrackNodes(moved, anchor);
            var copy = Reindent(moved, anchor);
            var withoutMoved = tracked.RemoveNode(tracked.GetCurrentNode(moved)!, SyntaxRemoveOptions.KeepNoTrivia)!;
            return withoutMoved.InsertNodesAfter(withoutMoved.GetCurrentNode(anchor)!, new[] { copy });
        }

        private static SyntaxNode MoveBefore(SyntaxNode root, StatementSyntax moved, StatementSyntax anchor)
        {
            var tracked = root.TrackNodes(moved, anchor);
            var copy = Reindent(moved, anchor);
            var withoutMoved = tracked.RemoveNode(tracked.GetCurrentNode(moved)!, SyntaxRemoveOptions.KeepNoTrivia)!;
            return withoutMoved.InsertNodesBefore(withoutMoved.GetCurrentNode(anchor)!, new[] { copy });
        }

        /// <summary>The statement with the anchor's indentation, keeping its own comments and line end.</summary>
        private static StatementSyntax Reindent(StatementSyntax statement, StatementSyntax anchor)
        {
            var indentation = anchor.GetLeadingTrivia().Reverse().TakeWhile(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).Reverse();
            var comments = statement.GetLeadingTrivia().Where(t => !t.IsKind(SyntaxKind.WhitespaceTrivia) && !t.IsKind(SyntaxKind.EndOfLineTrivia)).ToList();
            var leading = SyntaxFactory.TriviaList();
            foreach (var comment in comments)
                leading = leading.AddRange(indentation).Add(comment).Add(SyntaxFactory.EndOfLine("\n"));
            leading = leading.AddRange(indentation);
            var trailing = statement.GetTrailingTrivia();
            if (!trailing.Any(t => t.IsKind(SyntaxKind.EndOfLineTrivia))) trailing = trailing.Add(EndOfLine(anchor));
            return statement.WithLeadingTrivia(leading).WithTrailingTrivia(trailing);
        }

        private static SyntaxTrivia EndOfLine(SyntaxNode anchor) =>
            anchor.GetTrailingTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia)) is { } eol && eol.IsKind(SyntaxKind.EndOfLineTrivia)
                ? eol
                : SyntaxFactory.EndOfLine("\n");

        private static SyntaxNode? EnclosingBody(SyntaxNode node) =>
            node.Ancestors().FirstOrDefault(a => a is MemberDeclarationSyntax || a is LocalFunctionStatementSyntax || a is AnonymousFunctionExpressionSyntax);

        // ---------------------------------------------------------------- DSL1006

        private static void RegisterOtherOptimizer(CodeFixContext context, SyntaxNode root, Diagnostic diagnostic)
        {
            if (diagnostic.AdditionalLocations.Count == 0 || !diagnostic.Properties.TryGetValue(OptimizerKey, out var optimizer) || optimizer is null) return;
            var node = root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true);
            var expression = node is ArgumentSyntax argument ? argument.Expression : node as ExpressionSyntax;
            var replacement = SyntaxFactory.ParseExpression(optimizer);
            if (expression is null || replacement.ContainsDiagnostics) return;
            context.RegisterCodeFix(CodeAction.Create("Build the schedule on '" + optimizer + "'",
                ct => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(expression, replacement.WithTriviaFrom(expression)))),
                equivalenceKey: ScheduleOnOtherOptimizer), diagnostic);
        }

        // ---------------------------------------------------------------- DSL1002

        private static void RegisterHorizon(CodeFixContext context, SyntaxNode root, Diagnostic diagnostic, SyntaxNode node)
        {
            if (!diagnostic.Properties.TryGetValue(ReplacementKey, out var replacement) || replacement is null) return;
            var expression = node is ArgumentSyntax argument ? argument.Expression : node as ExpressionSyntax;
            if (expression is null) return;
            var parsed = SyntaxFactory.ParseExpression(replacement);
            if (parsed.ContainsDiagnostics) return;
            context.RegisterCodeFix(CodeAction.Create("Count the horizon in optimizer steps",
                ct => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(expression, parsed.WithTriviaFrom(expression)))),
                equivalenceKey: HorizonInSteps), diagnostic);
        }

        // ---------------------------------------------------------------- DSL2005

        private static void RegisterZeroGradAfterStep(CodeFixContext context, SyntaxNode root, Diagnostic diagnostic, SyntaxNode node)
        {
            if (diagnostic.AdditionalLocations.Count == 0) return;
            var step = StatementInBlock(node);
            var zero = StatementInBlock(root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true));
            if (step is null || zero is not ExpressionStatementSyntax || zero.Parent != step.Parent) return;
            context.RegisterCodeFix(CodeAction.Create("Zero the gradients after the optimizer step",
                ct => Task.FromResult(context.Document.WithSyntaxRoot(MoveAfter(root, zero, step))),
                equivalenceKey: ZeroGradAfterStep), diagnostic);
        }

        // ---------------------------------------------------------------- DSL3001

        private static void RegisterLossScaling(CodeFixContext context, SyntaxNode root, Diagnostic diagnostic, SyntaxNode node)
        {
            if (!diagnostic.Properties.TryGetValue(FixKey, out var fix) || fix != FixLossScaling) return;
            if (node.AncestorsAndSelf().OfType<AssignmentExpressionSyntax>().FirstOrDefault() is not { } assignment) return;
            var on = SyntaxFactory.LiteralExpression(SyntaxKind.TrueLiteralExpression).WithTriviaFrom(assignment.Right);
            context.RegisterCodeFix(CodeAction.Create("Turn on the Trainer's loss scaling",
                ct => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(assignment.Right, on))),
                equivalenceKey: TurnOnLossScaling), diagnostic);
        }

        /// <summary>The statement around <paramref name="node"/> that sits directly in a block (so it can be moved or anchored).</summary>
        private static StatementSyntax? StatementInBlock(SyntaxNode node)
        {
            foreach (var ancestor in node.AncestorsAndSelf())
            {
                if (ancestor is StatementSyntax statement)
                    return statement.Parent is BlockSyntax ? statement : null;
                if (ancestor is MemberDeclarationSyntax) return null;
            }
            return null;
        }

        // ---------------------------------------------------------------- DSL2001

        private static void RegisterAdamW(CodeFixContext context, SyntaxNode root, Diagnostic diagnostic, SyntaxNode node)
        {
            var creation = node.AncestorsAndSelf().OfType<ObjectCreationExpressionSyntax>().FirstOrDefault();
            if (creation is null || !IsNamed(creation.Type, "Adam")) return;
            context.RegisterCodeFix(CodeAction.Create("Use AdamW (decoupled weight decay)",
                ct => Task.FromResult(context.Document.WithSyntaxRoot(ReplaceAdam(root, creation))),
                equivalenceKey: UseAdamW), diagnostic);
        }

        private static SyntaxNode ReplaceAdam(SyntaxNode root, ObjectCreationExpressionSyntax creation)
        {
            var nodes = new System.Collections.Generic.List<TypeSyntax> { creation.Type };
            // 'Adam optimizer = new Adam(…)': the declared type changes too.
            if (creation.Parent is EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax declaration } }
                && declaration.Variables.Count == 1 && IsNamed(declaration.Type, "Adam"))
                nodes.Add(declaration.Type);
            return root.ReplaceNodes(nodes, (original, _) => Rename(original));
        }

        private static TypeSyntax Rename(TypeSyntax type) => type switch
        {
            IdentifierNameSyntax identifier => identifier.WithIdentifier(SyntaxFactory.Identifier(identifier.Identifier.LeadingTrivia, "AdamW", identifier.Identifier.TrailingTrivia)),
            QualifiedNameSyntax qualified => qualified.WithRight((SimpleNameSyntax)Rename(qualified.Right)),
            AliasQualifiedNameSyntax alias => alias.WithName((SimpleNameSyntax)Rename(alias.Name)),
            _ => type,
        };

        private static bool IsNamed(TypeSyntax type, string name) => type switch
        {
            IdentifierNameSyntax identifier => identifier.Identifier.ValueText == name,
            QualifiedNameSyntax qualified => IsNamed(qualified.Right, name),
            AliasQualifiedNameSyntax alias => IsNamed(alias.Name, name),
            _ => false,
        };

        // ---------------------------------------------------------------- DSL2003

        private static void RegisterUnscale(CodeFixContext context, SyntaxNode root, Diagnostic diagnostic, SyntaxNode node)
        {
            if (!diagnostic.Properties.TryGetValue(FixKey, out var fix)) return;
            var clip = StatementInBlock(node);
            if (clip is null) return;

            if (fix == FixMove && diagnostic.AdditionalLocations.Count > 0)
            {
                var unscale = StatementInBlock(root.FindNode(diagnostic.AdditionalLocations[0].SourceSpan, getInnermostNodeForTie: true));
                if (unscale is not ExpressionStatementSyntax || unscale == clip || unscale.Parent != clip.Parent) return;
                context.RegisterCodeFix(CodeAction.Create("Unscale the gradients before clipping",
                    ct => Task.FromResult(context.Document.WithSyntaxRoot(MoveBefore(root, unscale, clip))),
                    equivalenceKey: UnscaleBeforeClip), diagnostic);
            }
            else if (fix == FixInsert
                     && diagnostic.Properties.TryGetValue(ScalerKey, out var scaler) && scaler is not null
                     && diagnostic.Properties.TryGetValue(OptimizerKey, out var optimizer) && optimizer is not null)
            {
                var statement = SyntaxFactory.ParseStatement(scaler + ".Unscale(" + optimizer + ");");
                if (statement.ContainsDiagnostics) return;
                context.RegisterCodeFix(CodeAction.Create("Unscale the gradients before clipping",
                    ct =>
                    {
                        var inserted = Reindent(statement, clip);
                        return Task.FromResult(context.Document.WithSyntaxRoot(root.InsertNodesBefore(clip, new[] { inserted })));
                    },
                    equivalenceKey: UnscaleBeforeClip), diagnostic);
            }
        }
    }
}
