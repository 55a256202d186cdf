import { PersistentVolumeClaimV1 } from '@cdktf/provider-kubernetes/lib/persistent-volume-claim-v1';
import { PersistentVolumeV1, type PersistentVolumeV1SpecPersistentVolumeSourceCsi } from '@cdktf/provider-kubernetes/lib/persistent-volume-v1';
import type { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { Construct } from 'constructs';
import { parseProps } from '../core/props';
import { CHECKPOINT_TEAMS_PREFIX } from './storage';
import { TrainingVolumesPropsSchema, type TrainingVolumesProps } from './storage-schema';
import { TEAM_LABEL, TrainingTeams } from './teams';

/** CSI driver names. */
export const S3_CSI_DRIVER = 's3.csi.aws.com';
export const FSX_CSI_DRIVER = 'fsx.csi.aws.com';

/** Claim names in every team namespace. */
export const VOLUME_CLAIMS = { datasets: 'datasets', checkpoints: 'checkpoints', fsx: 'fsx' } as const;

/** Capacity the S3 volumes declare: Kubernetes requires one, the Mountpoint driver ignores it. */
export const S3_VOLUME_CAPACITY = '1200Gi';

/** The volumes of one team: claim names in its namespace and the PersistentVolume names. */
export interface TeamVolumes {
  readonly team: string;
  readonly namespace: string;
  /** Claim and volume names per kind (`datasets`, `checkpoints`, and `fsx` for the FSx team). */
  readonly claims: Readonly<Partial<Record<keyof typeof VOLUME_CLAIMS, string>>>;
  readonly volumes: Readonly<Partial<Record<keyof typeof VOLUME_CLAIMS, string>>>;
}

interface VolumeSpec {
  readonly kind: keyof typeof VOLUME_CLAIMS;
  readonly accessMode: 'ReadOnlyMany' | 'ReadWriteMany';
  readonly capacity: string;
  readonly mountOptions: string[];
  readonly csi: PersistentVolumeV1SpecPersistentVolumeSourceCsi;
}

/**
 * The Kubernetes side of TrainingStorage, in the workloads stack: per team namespace a statically
 * provisioned S3 volume of the datasets (read-only, ReadOnlyMany) and one of the team's checkpoint
 * prefix `teams/<team>/` (ReadWriteMany), and for one designated team a volume of the FSx for Lustre
 * file system. Each PersistentVolume is pinned to its claim (`claimRef`) and each claim to its
 * volume (`volumeName`), with a storage class no provisioner serves.
 */
export class TrainingVolumes extends Construct {
  readonly teams: readonly TeamVolumes[];

  constructor(scope: Construct, id: string, props: TrainingVolumesProps) {
    super(scope, id);
    const p = parseProps(this, TrainingVolumesPropsSchema, props);
    const s = p.storage;
    const targets =
      p.teams instanceof TrainingTeams ? p.teams.teams.map((t) => ({ name: t.name, namespace: t.namespace })) : p.teams.map((name) => ({ name, namespace: name }));
    const owner = [`uid=${p.uid}`, `gid=${p.gid}`, 'allow-other'];
    const region = `region ${s.region}`;

    this.teams = targets.map(({ name, namespace }) => {
      const specs: VolumeSpec[] = [];
      const handle = (kind: string) => `${p.volumeNamePrefix}-${name}-${kind}`;
      if (s.mountpoint) {
        specs.push({
          kind: 'datasets',
          accessMode: 'ReadOnlyMany',
          capacity: S3_VOLUME_CAPACITY,
          mountOptions: ['read-only', ...(s.datasetsPrefix ? [`prefix ${s.datasetsPrefix}`] : []), ...owner, region],
          csi: { driver: S3_CSI_DRIVER, volumeHandle: handle('datasets'), volumeAttributes: { bucketName: s.datasetsBucketName }, readOnly: true },
        });
        specs.push({
          kind: 'checkpoints',
          accessMode: 'ReadWriteMany',
          capacity: S3_VOLUME_CAPACITY,
          mountOptions: [
            `prefix ${CHECKPOINT_TEAMS_PREFIX}${name}/`,
            ...owner,
            ...(p.allowDelete ? ['allow-delete'] : []),
            ...(p.allowOverwrite ? ['allow-overwrite'] : []),
            region,
          ],
          csi: { driver: S3_CSI_DRIVER, volumeHandle: handle('checkpoints'), volumeAttributes: { bucketName: s.checkpointsBucketName } },
        });
      }
      if (s.fsx && p.fsxTeam === name) {
        specs.push({
          kind: 'fsx',
          accessMode: 'ReadWriteMany',
          capacity: `${s.fsx.storageCapacityGiB}Gi`,
          mountOptions: ['flock'],
          csi: { driver: FSX_CSI_DRIVER, volumeHandle: s.fsx.fileSystemId, volumeAttributes: { dnsname: s.fsx.dnsName, mountname: s.fsx.mountName } },
        });
      }
      return new TeamVolumeSet(this, name, { team: name, namespace, specs, storageClassName: p.storageClassName, provider: p.kubernetesProvider, prefix: p.volumeNamePrefix })
        .volumes;
    });
  }
}

interface TeamVolumeSetProps {
  readonly team: string;
  readonly namespace: string;
  readonly specs: readonly VolumeSpec[];
  readonly storageClassName: string;
  readonly prefix: string;
  readonly provider?: KubernetesProvider;
}

/** The volumes and claims of one team (construct id = the team name). */
class TeamVolumeSet extends Construct {
  readonly volumes: TeamVolumes;

  constructor(scope: Construct, id: string, props: TeamVolumeSetProps) {
    super(scope, id);
    const { team, namespace, provider } = props;
    const labels = { [TEAM_LABEL]: team, 'app.kubernetes.io/managed-by': 'gaiops' };
    const claims: Partial<Record<keyof typeof VOLUME_CLAIMS, string>> = {};
    const volumes: Partial<Record<keyof typeof VOLUME_CLAIMS, string>> = {};
    for (const spec of props.specs) {
      const idPart = spec.kind.charAt(0).toUpperCase() + spec.kind.slice(1);
      const claimName = VOLUME_CLAIMS[spec.kind];
      const volume = new PersistentVolumeV1(this, `${idPart}Volume`, {
        provider,
        metadata: { name: `${props.prefix}-${team}-${spec.kind}`, labels: { ...labels, 'gaiops.io/volume': spec.kind } },
        spec: [
          {
            accessModes: [spec.accessMode],
            capacity: { storage: spec.capacity },
            mountOptions: spec.mountOptions,
            persistentVolumeReclaimPolicy: 'Retain',
            storageClassName: props.storageClassName,
            volumeMode: 'Filesystem',
            claimRef: { name: claimName, namespace },
            persistentVolumeSource: { csi: spec.csi },
          },
        ],
      });
      new PersistentVolumeClaimV1(this, `${idPart}Claim`, {
        provider,
        metadata: { name: claimName, namespace, labels: { ...labels, 'gaiops.io/volume': spec.kind } },
        spec: {
          accessModes: [spec.accessMode],
          storageClassName: props.storageClassName,
          volumeName: volume.metadata.name,
          resources: { requests: { storage: spec.capacity } },
        },
      });
      claims[spec.kind] = claimName;
      volumes[spec.kind] = volume.metadata.name;
    }
    this.volumes = { team, namespace, claims, volumes };
  }
}
