"use client";

import Link from "next/link";
import { useEffect, useState, useSyncExternalStore, type FormEvent } from "react";
import { Button, buttonClasses } from "@/app/_components/button";
import { PageHeader } from "@/app/_components/card";
import { inputClasses } from "@/app/_components/field";
import { ProgressSteps } from "@/app/_components/progress-steps";
import { ENGINE_STAGES, stageIndex, type EngineProgress } from "@/lib/ui/engine-start";
import type { AppNode } from "@/lib/ui/types";
import { WorkspaceSession, type Phase, type WorkspaceSnapshot } from "@/lib/ui/workspace-session";
import { NodeResultView } from "./node-result";

function StatusBar({ snap }: { snap: WorkspaceSnapshot }) {
  const p = snap.phase;
  const [text, dot] =
    p.kind === "connected"
      ? ["Connected", "bg-emerald-500"]
      : p.kind === "reconnecting"
        ? ["Reconnecting…", "bg-amber-500 animate-pulse"]
        : p.kind === "ended"
          ? ["Disconnected", "bg-red-500"]
          : p.kind === "connecting"
            ? ["Connecting…", "bg-indigo-400 animate-pulse"]
            : ["Starting…", "bg-indigo-400 animate-pulse"];
  return (
    <div className="flex flex-wrap items-center justify-between gap-3 rounded-xl border border-slate-200 bg-white px-4 py-2.5 text-sm shadow-sm">
      <p role="status" className="flex items-center gap-2 font-medium text-slate-800" data-testid="workspace-status">
        <span aria-hidden className={`size-2.5 rounded-full ${dot}`} />
        {text}
      </p>
      <dl className="flex gap-4 text-slate-600 tabular-nums" aria-label="Engine resources">
        <div className="flex gap-1">
          <dt>CPU</dt>
          <dd data-testid="engine-cpu">{snap.stats ? `${snap.stats.cpuPercent.toFixed(1)} %` : "—"}</dd>
        </div>
        <div className="flex gap-1">
          <dt>Memory</dt>
          <dd data-testid="engine-memory">{snap.stats ? `${snap.stats.memoryMiB.toFixed(1)} MiB` : "—"}</dd>
        </div>
      </dl>
    </div>
  );
}

function EngineProgressView({ progress, title }: { progress: EngineProgress | null; title: string }) {
  const current = progress ? stageIndex(progress.stage) : 0;
  const label = current >= 0 ? ENGINE_STAGES[current]! : progress?.stage || ENGINE_STAGES[0];
  const text = progress?.message && progress.message !== label ? `${label}: ${progress.message}` : label;
  return (
    <div className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
      <h2 className="mb-4 text-base font-semibold text-slate-900">{title}</h2>
      <ProgressSteps label="Engine start" stages={ENGINE_STAGES} current={current} value={progress?.progress ?? 0} text={text} testId="engine-progress" />
    </div>
  );
}

function Ended({ phase, slug, onRestart, onReconnect }: { phase: Extract<Phase, { kind: "ended" }>; slug: string; onRestart: () => void; onReconnect: () => void }) {
  const base = `/t/${encodeURIComponent(slug)}`;
  return (
    <div role="alert" className="rounded-xl border border-red-200 bg-red-50 px-5 py-4 text-sm text-red-900" data-testid="workspace-ended">
      <p className="text-base font-semibold">{phase.message}</p>
      {phase.reason === "failed" && phase.message !== "The engine could not be started." ? <p className="mt-1">The engine could not be started.</p> : null}
      <div className="mt-3 flex flex-wrap gap-2">
        {phase.reason === "session" ? (
          <Link href={`${base}/sign-in?ended=1`} className={buttonClasses("primary", "sm")}>
            Sign in again
          </Link>
        ) : null}
        {phase.reason === "stopped" ? (
          <Button size="sm" onClick={onRestart}>
            Start again
          </Button>
        ) : null}
        {phase.reason === "crashed" || phase.reason === "failed" ? (
          <Button size="sm" onClick={onRestart}>
            Start a new engine
          </Button>
        ) : null}
        {phase.reason === "disconnected" ? (
          <Button size="sm" onClick={onReconnect}>
            Reconnect
          </Button>
        ) : null}
        {phase.reason !== "session" ? (
          <Link href={`${base}/app`} className={buttonClasses("secondary", "sm")}>
            Back to Home
          </Link>
        ) : null}
      </div>
    </div>
  );
}

function NodeEditor({
  node,
  draft,
  saving,
  error,
  canSave,
  onDraft,
  onSave,
}: {
  node: AppNode;
  draft: string | undefined;
  saving: boolean;
  error: string | undefined;
  canSave: boolean;
  onDraft: (value: string | undefined) => void;
  onSave: (formula: string) => void;
}) {
  const value = draft ?? node.formula;
  const dirty = draft !== undefined && draft !== node.formula;
  const id = `formula-${node.id}`;
  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    onSave(value);
  }
  return (
    <li className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm" data-testid={`node-editor-${node.id}`}>
      <form onSubmit={submit} aria-label={`Node ${node.title}`} className="space-y-2" noValidate>
        <div className="flex items-baseline justify-between gap-2">
          <label htmlFor={id} className="text-sm font-semibold text-slate-900">
            <span className="sr-only">Formula of </span>
            {node.title}
          </label>
          <span className="font-mono text-xs text-slate-500">{node.id}</span>
        </div>
        <textarea
          id={id}
          aria-label={`Formula of ${node.title}`}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
          rows={Math.min(8, Math.max(2, value.split("\n").length))}
          spellCheck={false}
          value={value}
          onChange={(e) => onDraft(e.target.value)}
          onKeyDown={(e) => {
            if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
              e.preventDefault();
              onSave(value);
            }
          }}
          className={`${inputClasses} font-mono text-xs`}
        />
        {error ? (
          <p id={`${id}-error`} role="alert" className="text-xs text-red-700">
            {error}
          </p>
        ) : null}
        <div className="flex items-center gap-2">
          <Button type="submit" size="sm" disabled={saving || !canSave}>
            {saving ? "Saving…" : `Save ${node.title}`}
          </Button>
          {dirty ? (
            <>
              <span className="text-xs text-amber-700">Not saved</span>
              <Button size="sm" variant="ghost" onClick={() => onDraft(undefined)} aria-label={`Undo changes to ${node.title}`}>
                Undo
              </Button>
            </>
          ) : null}
        </div>
      </form>
    </li>
  );
}

export function WorkspaceView({ slug, appId }: { slug: string; appId: string }) {
  const [session] = useState(() => new WorkspaceSession(appId));
  const snap = useSyncExternalStore(session.subscribe, session.getSnapshot, session.getServerSnapshot);
  const [drafts, setDrafts] = useState<Record<string, string>>({});

  useEffect(() => {
    session.start();
    return () => session.stop();
  }, [session]);

  const phase = snap.phase;
  const titleOf = (id: string) => snap.nodes.find((n) => n.id === id)?.title ?? id;
  const showProgress = phase.kind === "loading" || phase.kind === "starting" || (phase.kind === "reconnecting" && phase.progress !== null);
  const hasResults = snap.nodes.length > 0 && (phase.kind === "connected" || phase.kind === "reconnecting" || phase.kind === "connecting" || phase.kind === "ended") && Object.keys(snap.results).length > 0;

  async function save(node: AppNode, formula: string) {
    const ok = await session.saveNode(node.id, formula);
    if (ok)
      setDrafts((d) => {
        if (d[node.id] !== formula) return d;
        const next = { ...d };
        delete next[node.id];
        return next;
      });
  }

  return (
    <div className="space-y-6">
      <PageHeader title={snap.app?.name ?? "Workspace"} description={snap.app?.description || (snap.app ? `Version ${snap.app.version}` : undefined)} />
      <StatusBar snap={snap} />
      {snap.notice ? <p className="rounded-lg border border-amber-200 bg-amber-50 px-4 py-2 text-sm text-amber-900">{snap.notice}</p> : null}
      {phase.kind === "ended" ? <Ended phase={phase} slug={slug} onRestart={() => session.restart()} onReconnect={() => session.reconnectNow()} /> : null}
      {showProgress ? (
        <EngineProgressView
          title={phase.kind === "reconnecting" ? "Reconnecting to your engine" : "Starting your engine"}
          progress={phase.kind === "starting" || phase.kind === "reconnecting" ? phase.progress : null}
        />
      ) : null}
      {snap.nodes.length > 0 && phase.kind !== "loading" && phase.kind !== "starting" ? (
        <div className="grid gap-6 lg:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]">
          <section aria-labelledby="nodes-heading">
            <h2 id="nodes-heading" className="mb-3 text-base font-semibold text-slate-900">
              Nodes
            </h2>
            <ul className="space-y-3">
              {snap.nodes.map((n) => (
                <NodeEditor
                  key={n.id}
                  node={n}
                  draft={drafts[n.id]}
                  saving={snap.saving[n.id] === true}
                  error={snap.saveErrors[n.id]}
                  canSave={phase.kind === "connected"}
                  onDraft={(v) =>
                    setDrafts((d) => {
                      const next = { ...d };
                      if (v === undefined) delete next[n.id];
                      else next[n.id] = v;
                      return next;
                    })
                  }
                  onSave={(formula) => void save(n, formula)}
                />
              ))}
            </ul>
          </section>
          <section aria-labelledby="results-heading">
            <h2 id="results-heading" className="mb-3 text-base font-semibold text-slate-900">
              Results
            </h2>
            {hasResults ? (
              <div className="space-y-3">
                {snap.nodes.map((n) => (
                  <NodeResultView key={n.id} nodeId={n.id} title={n.title} result={snap.results[n.id]} titleOf={titleOf} />
                ))}
              </div>
            ) : (
              <p className="text-sm text-slate-500">{phase.kind === "ended" ? "No results." : "Connecting to the engine…"}</p>
            )}
          </section>
        </div>
      ) : null}
      {snap.app && snap.nodes.length === 0 ? <p className="text-sm text-slate-600">This app has no nodes yet.</p> : null}
    </div>
  );
}
