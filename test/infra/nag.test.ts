/**
 * cdk-nag: the AwsSolutions and Serverless packs find nothing unacknowledged in the whole
 * app (demo cluster included), every acknowledgement names one finding and gives a reason,
 * and every acknowledgement is needed (without it the finding appears).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp } from './helpers';

interface Finding {
  readonly rule: string;
  readonly severity: string;
  readonly path: string;
}

interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
  readonly path: string;
}

const NAG_ID = /^(AwsSolutions|Serverless)-[A-Za-z0-9]+(\[[^\]]+\])?$/;
/** Rules that report one finding per wildcard: acknowledging the bare rule would hide them all. */
const PER_FINDING_RULES = ['AwsSolutions-IAM5', 'AwsSolutions-IAM4'];

function nagFindings(app: IConstruct): Finding[] {
  return [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
    pack.validateScope(app).violations.flatMap((v) =>
      v.violatingResources.map((r) => ({
        rule: v.ruleName,
        severity: v.severity ?? 'unknown',
        path: r.constructPath ?? '',
      })),
    ),
  );
}

function nagAcknowledgements(app: IConstruct): Acknowledgement[] {
  return app.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>))
      .map(([key, reason]) => ({ id: key.replace(/^annotation::/i, ''), reason, path: c.node.path }))
      .filter((a) => a.id.startsWith('AwsSolutions-') || a.id.startsWith('Serverless-')),
  );
}

let findings: Finding[];
let acknowledgements: Acknowledgement[];
let findingsWithoutAcknowledgements: Finding[];
let reportPath: string;

beforeAll(() => {
  const { app } = buildApp({ demoCluster: true, nag: true });
  // With the packs registered as validation plugins, an unacknowledged error fails synth here.
  reportPath = join(app.synth().directory, 'validation-report.json');
  findings = nagFindings(app);
  acknowledgements = nagAcknowledgements(app);

  const noAcknowledge = vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => undefined);
  try {
    const bare = buildApp({ demoCluster: true }).app;
    bare.synth();
    findingsWithoutAcknowledgements = nagFindings(bare);
  } finally {
    noAcknowledge.mockRestore();
  }
});

describe('cdk-nag AwsSolutions and Serverless packs', () => {
  it('report no unacknowledged error or warning', () => {
    expect(findings).toEqual([]);
  });

  it('leave the synth validation report empty (no plugin, CloudFormation or construct warning either)', () => {
    expect(existsSync(reportPath)).toBe(true);
    const report: unknown = JSON.parse(readFileSync(reportPath, 'utf8'));
    expect(report).toMatchObject({ pluginReports: [] });
  });

  it('check something: without the acknowledgements they do find issues', () => {
    expect(findingsWithoutAcknowledgements.length).toBeGreaterThan(0);
  });

  it('acknowledge each finding by its own id, with a written reason', () => {
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const ack of acknowledgements) {
      expect(ack.id, ack.path).toMatch(NAG_ID);
      expect(PER_FINDING_RULES.includes(ack.id), `${ack.id} at ${ack.path} must name one finding`).toBe(
        false,
      );
      expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThanOrEqual(40);
    }
  });

  it('acknowledge only what is found: each acknowledgement matches a finding under its construct', () => {
    for (const ack of acknowledgements) {
      const matched = findingsWithoutAcknowledgements.some(
        (f) => f.rule === ack.id && (f.path === ack.path || f.path.startsWith(`${ack.path}/`)),
      );
      expect(matched, `${ack.id} acknowledged at ${ack.path} but not found there`).toBe(true);
    }
  });
});
